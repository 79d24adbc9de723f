using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class SecretGrants : Migration
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
                name: "AllowedKeys",
                schema: "hybridbuild",
                table: "build_secrets",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // secrets stored before grants existed: admins only, as for a secret set without allowedKeys
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Secrets",
                schema: "hybridbuild",
                table: "triggers");

            migrationBuilder.DropColumn(
                name: "AllowedKeys",
                schema: "hybridbuild",
                table: "build_secrets");
        }
    }
}
