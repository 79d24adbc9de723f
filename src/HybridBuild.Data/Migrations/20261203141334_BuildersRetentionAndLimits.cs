using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class BuildersRetentionAndLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Builder",
                schema: "hybridbuild",
                table: "stages",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "LogBytes",
                schema: "hybridbuild",
                table: "builds",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<bool>(
                name: "LogTruncated",
                schema: "hybridbuild",
                table: "builds",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<bool>(
                name: "Pinned",
                schema: "hybridbuild",
                table: "builds",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // the logs stored before this migration count against Worker:MaxLogBytes too (a retry or a running build adds to them)
            migrationBuilder.Sql("""
                UPDATE hybridbuild.builds b SET "LogBytes" = l.bytes
                FROM (SELECT "BuildId", sum(octet_length("Data")) AS bytes FROM hybridbuild.log_events WHERE "Kind" = 'Log' GROUP BY "BuildId") l
                WHERE l."BuildId" = b."Id";
                """);

            migrationBuilder.CreateIndex(
                name: "IX_builds_Status_FinishedAt",
                schema: "hybridbuild",
                table: "builds",
                columns: new[] { "Status", "FinishedAt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_builds_Status_FinishedAt",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "Builder",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "LogBytes",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "LogTruncated",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "Pinned",
                schema: "hybridbuild",
                table: "builds");
        }
    }
}
