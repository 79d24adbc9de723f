using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class StageStatusIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_stages_Status",
                schema: "hybridbuild",
                table: "stages",
                column: "Status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_stages_Status",
                schema: "hybridbuild",
                table: "stages");
        }
    }
}
