using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class VerificationRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "ExitCode",
                schema: "hybridbuild",
                table: "stages",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Run",
                schema: "hybridbuild",
                table: "stages",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Runtime",
                schema: "hybridbuild",
                table: "stages",
                type: "character varying(512)",
                maxLength: 512,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "ExitCode",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "Run",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "Runtime",
                schema: "hybridbuild",
                table: "stages");
        }
    }
}
