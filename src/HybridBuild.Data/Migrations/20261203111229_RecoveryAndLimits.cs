using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class RecoveryAndLimits : Migration
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

            migrationBuilder.AddColumn<int>(
                name: "Attempt",
                schema: "hybridbuild",
                table: "builds",
                type: "integer",
                nullable: false,
                defaultValue: 1); // builds stored before attempts were counted have had one run

            migrationBuilder.CreateIndex(
                name: "IX_artifacts_BlobKey",
                schema: "hybridbuild",
                table: "artifacts",
                column: "BlobKey");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_artifacts_BlobKey",
                schema: "hybridbuild",
                table: "artifacts");

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
        }
    }
}
