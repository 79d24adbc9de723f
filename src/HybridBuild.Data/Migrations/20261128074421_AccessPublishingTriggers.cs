using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class AccessPublishingTriggers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Secrets",
                schema: "hybridbuild",
                table: "stages",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // stages recorded before secrets existed have none

            migrationBuilder.AddColumn<string>(
                name: "Publish",
                schema: "hybridbuild",
                table: "builds",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // builds recorded before automatic publications asked for none

            migrationBuilder.CreateTable(
                name: "api_keys",
                schema: "hybridbuild",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Scopes = table.Column<string>(type: "jsonb", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    RevokedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastUsedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "build_secrets",
                schema: "hybridbuild",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Ciphertext = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_build_secrets", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "publications",
                schema: "hybridbuild",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    BuildId = table.Column<Guid>(type: "uuid", nullable: false),
                    Target = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Stages = table.Column<string>(type: "jsonb", nullable: false),
                    PathTemplate = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    Properties = table.Column<string>(type: "jsonb", nullable: false),
                    DryRun = table.Column<bool>(type: "boolean", nullable: false),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    IdempotencyKey = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    RequestFingerprint = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Error = table.Column<string>(type: "text", nullable: true),
                    Files = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_publications", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "trigger_deliveries",
                schema: "hybridbuild",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    TriggerId = table.Column<Guid>(type: "uuid", nullable: false),
                    DeliveryKey = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    Event = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Ref = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    Commit = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Outcome = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    BuildId = table.Column<Guid>(type: "uuid", nullable: true),
                    ReceivedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_trigger_deliveries", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "triggers",
                schema: "hybridbuild",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    RepositoryUrl = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    Provider = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Branches = table.Column<string>(type: "jsonb", nullable: false),
                    Tags = table.Column<string>(type: "jsonb", nullable: false),
                    Spec = table.Column<string>(type: "jsonb", nullable: false),
                    SpecPath = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    SecretCiphertext = table.Column<byte[]>(type: "bytea", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_triggers", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_Hash",
                schema: "hybridbuild",
                table: "api_keys",
                column: "Hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_publications_BuildId",
                schema: "hybridbuild",
                table: "publications",
                column: "BuildId");

            migrationBuilder.CreateIndex(
                name: "IX_publications_IdempotencyKey",
                schema: "hybridbuild",
                table: "publications",
                column: "IdempotencyKey",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_trigger_deliveries_TriggerId_DeliveryKey",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                columns: new[] { "TriggerId", "DeliveryKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_trigger_deliveries_TriggerId_ReceivedAt",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                columns: new[] { "TriggerId", "ReceivedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys",
                schema: "hybridbuild");

            migrationBuilder.DropTable(
                name: "build_secrets",
                schema: "hybridbuild");

            migrationBuilder.DropTable(
                name: "publications",
                schema: "hybridbuild");

            migrationBuilder.DropTable(
                name: "trigger_deliveries",
                schema: "hybridbuild");

            migrationBuilder.DropTable(
                name: "triggers",
                schema: "hybridbuild");

            migrationBuilder.DropColumn(
                name: "Secrets",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "Publish",
                schema: "hybridbuild",
                table: "builds");
        }
    }
}
