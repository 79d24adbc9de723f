using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class FollowUps : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "FollowUpsDueSince",
                schema: "hybridbuild",
                table: "builds",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_builds_FollowUpsDueSince",
                schema: "hybridbuild",
                table: "builds",
                column: "FollowUpsDueSince",
                filter: "\"FollowUpsDueSince\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_builds_FollowUpsDueSince",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "FollowUpsDueSince",
                schema: "hybridbuild",
                table: "builds");
        }
    }
}
