using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class BuildAttempts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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
                name: "Attempt",
                schema: "hybridbuild",
                table: "builds");
        }
    }
}
