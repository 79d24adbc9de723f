using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class StageCache : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Cache",
                schema: "hybridbuild",
                table: "stages",
                type: "jsonb",
                nullable: false,
                defaultValueSql: "'{}'::jsonb"); // stages stored before: no cache settings

            migrationBuilder.AddColumn<string>(
                name: "CacheUse",
                schema: "hybridbuild",
                table: "stages",
                type: "jsonb",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "step_timings",
                schema: "hybridbuild",
                columns: table => new
                {
                    Digest = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    Milliseconds = table.Column<long>(type: "bigint", nullable: false),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_step_timings", x => x.Digest);
                });

            migrationBuilder.CreateIndex(
                name: "IX_step_timings_RecordedAt",
                schema: "hybridbuild",
                table: "step_timings",
                column: "RecordedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "step_timings",
                schema: "hybridbuild");

            migrationBuilder.DropColumn(
                name: "Cache",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "CacheUse",
                schema: "hybridbuild",
                table: "stages");
        }
    }
}
