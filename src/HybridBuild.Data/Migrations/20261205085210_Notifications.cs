using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class Notifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Notify",
                schema: "hybridbuild",
                table: "triggers",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // triggers made before notify no one

            migrationBuilder.AddColumn<string>(
                name: "Report",
                schema: "hybridbuild",
                table: "triggers",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<byte[]>(
                name: "ReportTokenCiphertext",
                schema: "hybridbuild",
                table: "triggers",
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Notify",
                schema: "hybridbuild",
                table: "builds",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // builds made before had no receivers

            migrationBuilder.AddColumn<Guid>(
                name: "TriggerId",
                schema: "hybridbuild",
                table: "builds",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "notifications",
                schema: "hybridbuild",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    BuildId = table.Column<Guid>(type: "uuid", nullable: false),
                    Kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    Event = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    Body = table.Column<string>(type: "text", nullable: false),
                    TriggerId = table.Column<Guid>(type: "uuid", nullable: true),
                    Status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    NextAttemptAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    LastStatusCode = table.Column<int>(type: "integer", nullable: true),
                    LastError = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    JobId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    RunId = table.Column<Guid>(type: "uuid", nullable: true),
                    NodeId = table.Column<Guid>(type: "uuid", nullable: true),
                    HeartbeatAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    Attempts = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_notifications", x => x.Id);
                    table.ForeignKey(
                        name: "FK_notifications_builds_BuildId",
                        column: x => x.BuildId,
                        principalSchema: "hybridbuild",
                        principalTable: "builds",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_notifications_BuildId_CreatedAt",
                schema: "hybridbuild",
                table: "notifications",
                columns: new[] { "BuildId", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_notifications_Status_NextAttemptAt",
                schema: "hybridbuild",
                table: "notifications",
                columns: new[] { "Status", "NextAttemptAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "notifications",
                schema: "hybridbuild");

            migrationBuilder.DropColumn(
                name: "Notify",
                schema: "hybridbuild",
                table: "triggers");

            migrationBuilder.DropColumn(
                name: "Report",
                schema: "hybridbuild",
                table: "triggers");

            migrationBuilder.DropColumn(
                name: "ReportTokenCiphertext",
                schema: "hybridbuild",
                table: "triggers");

            migrationBuilder.DropColumn(
                name: "Notify",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "TriggerId",
                schema: "hybridbuild",
                table: "builds");
        }
    }
}
