using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class StageLimits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "QueueTtl",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "Timeout",
                schema: "hybridbuild",
                table: "stages");
        }
    }
}
