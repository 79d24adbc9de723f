using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class RecoveryLimitsAndGrants : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Secrets",
                schema: "hybridbuild",
                table: "triggers",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]");

            // a trigger's inline spec was written by the admin who created it: its builds keep the secrets that spec names;
            // a spec file is the repository's, so triggers that read one mount none until an admin lists them
            migrationBuilder.Sql("""
                UPDATE hybridbuild.triggers t SET "Secrets" = coalesce((
                    SELECT jsonb_agg(DISTINCT secret) FROM jsonb_array_elements(t."Spec"->'stages') stage,
                        jsonb_array_elements_text(CASE jsonb_typeof(stage->'secrets') WHEN 'array' THEN stage->'secrets' ELSE '[]'::jsonb END) secret), '[]'::jsonb)
                WHERE t."SpecPath" IS NULL AND jsonb_typeof(t."Spec"->'stages') = 'array';
                """);

            migrationBuilder.AddColumn<string>(
                name: "ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "QueueTtl",
                schema: "hybridbuild",
                table: "stages",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "Timeout",
                schema: "hybridbuild",
                table: "stages",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Attempt",
                schema: "hybridbuild",
                table: "builds",
                type: "integer",
                nullable: false,
                defaultValue: 1); // builds stored before attempts were counted have had one run

            migrationBuilder.AddColumn<string>(
                name: "AllowedKeys",
                schema: "hybridbuild",
                table: "build_secrets",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // secrets stored before grants existed: admins only, as for a secret set without allowedKeys

            migrationBuilder.CreateIndex(
                name: "IX_trigger_deliveries_TriggerId_ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                columns: new[] { "TriggerId", "ContentSha256" },
                unique: true,
                filter: "\"ContentSha256\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_artifacts_BlobKey",
                schema: "hybridbuild",
                table: "artifacts",
                column: "BlobKey");

            // publications of builds that are gone could not be published anyway; the key needs none left
            migrationBuilder.Sql("""DELETE FROM hybridbuild.publications p WHERE NOT EXISTS (SELECT 1 FROM hybridbuild.builds b WHERE b."Id" = p."BuildId");""");

            migrationBuilder.AddForeignKey(
                name: "FK_publications_builds_BuildId",
                schema: "hybridbuild",
                table: "publications",
                column: "BuildId",
                principalSchema: "hybridbuild",
                principalTable: "builds",
                principalColumn: "Id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_publications_builds_BuildId",
                schema: "hybridbuild",
                table: "publications");

            migrationBuilder.DropIndex(
                name: "IX_trigger_deliveries_TriggerId_ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropIndex(
                name: "IX_artifacts_BlobKey",
                schema: "hybridbuild",
                table: "artifacts");

            migrationBuilder.DropColumn(
                name: "Secrets",
                schema: "hybridbuild",
                table: "triggers");

            migrationBuilder.DropColumn(
                name: "ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropColumn(
                name: "QueueTtl",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "Timeout",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "Attempt",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "AllowedKeys",
                schema: "hybridbuild",
                table: "build_secrets");
        }
    }
}
