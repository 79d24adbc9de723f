using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class LeasesAndNodes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "HeartbeatAt",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "JobId",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "NodeId",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "RunId",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "NodeId",
                schema: "hybridbuild",
                table: "stages",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                schema: "hybridbuild",
                table: "publications",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "HeartbeatAt",
                schema: "hybridbuild",
                table: "publications",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "JobId",
                schema: "hybridbuild",
                table: "publications",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "NodeId",
                schema: "hybridbuild",
                table: "publications",
                type: "uuid",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "RunId",
                schema: "hybridbuild",
                table: "publications",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "nodes",
                schema: "hybridbuild",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "uuid", nullable: false),
                    Name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    HeartbeatAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_nodes", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_trigger_deliveries_Outcome",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                column: "Outcome");

            migrationBuilder.CreateIndex(
                name: "IX_publications_Status",
                schema: "hybridbuild",
                table: "publications",
                column: "Status");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "nodes",
                schema: "hybridbuild");

            migrationBuilder.DropIndex(
                name: "IX_trigger_deliveries_Outcome",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropIndex(
                name: "IX_publications_Status",
                schema: "hybridbuild",
                table: "publications");

            migrationBuilder.DropColumn(
                name: "Attempts",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropColumn(
                name: "HeartbeatAt",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropColumn(
                name: "JobId",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropColumn(
                name: "NodeId",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropColumn(
                name: "RunId",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropColumn(
                name: "NodeId",
                schema: "hybridbuild",
                table: "stages");

            migrationBuilder.DropColumn(
                name: "Attempts",
                schema: "hybridbuild",
                table: "publications");

            migrationBuilder.DropColumn(
                name: "HeartbeatAt",
                schema: "hybridbuild",
                table: "publications");

            migrationBuilder.DropColumn(
                name: "JobId",
                schema: "hybridbuild",
                table: "publications");

            migrationBuilder.DropColumn(
                name: "NodeId",
                schema: "hybridbuild",
                table: "publications");

            migrationBuilder.DropColumn(
                name: "RunId",
                schema: "hybridbuild",
                table: "publications");
        }
    }
}
