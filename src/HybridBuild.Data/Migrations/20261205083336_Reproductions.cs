using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class Reproductions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Reproduce",
                schema: "hybridbuild",
                table: "builds",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "Reproduction",
                schema: "hybridbuild",
                table: "builds",
                type: "jsonb",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ReproductionOf",
                schema: "hybridbuild",
                table: "builds",
                type: "uuid",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Reproduce",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "Reproduction",
                schema: "hybridbuild",
                table: "builds");

            migrationBuilder.DropColumn(
                name: "ReproductionOf",
                schema: "hybridbuild",
                table: "builds");
        }
    }
}
