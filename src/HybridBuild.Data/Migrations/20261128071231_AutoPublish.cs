using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class AutoPublish : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Publish",
                schema: "hybridbuild",
                table: "builds",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]"); // builds recorded before automatic publications asked for none
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Publish",
                schema: "hybridbuild",
                table: "builds");
        }
    }
}
