using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace HybridBuild.Data.Migrations
{
    /// <inheritdoc />
    public partial class WebhookContentHash : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_trigger_deliveries_TriggerId_ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries",
                columns: new[] { "TriggerId", "ContentSha256" },
                unique: true,
                filter: "\"ContentSha256\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_trigger_deliveries_TriggerId_ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries");

            migrationBuilder.DropColumn(
                name: "ContentSha256",
                schema: "hybridbuild",
                table: "trigger_deliveries");
        }
    }
}
