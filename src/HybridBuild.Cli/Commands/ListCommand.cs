using System.CommandLine;
using System.Globalization;

namespace HybridBuild.Cli.Commands;

/// <summary><c>hbs ls</c>: the newest builds as a table.</summary>
internal static class ListCommand
{
    public static Command Create()
    {
        var status = new Option<string>("--status") { Description = "Only builds in this status: queued, running, succeeded, failed, cancelled" };
        var limit = new Option<int>("--limit", "-n") { Description = "How many builds (1 to 100)", DefaultValueFactory = _ => 20 };
        var command = new Command("ls", "List builds, newest first") { status, limit };
        command.SetAction((parse, cancellationToken) => Shared.RunAsync(parse, async client =>
        {
            var page = await client.ListAsync(parse.GetValue(status), parse.GetValue(limit), cancellationToken);
            var rows = page.Items.Select(b => new[]
            {
                b.Id.ToString(), b.Status.ToString().ToLowerInvariant(), b.CreatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                b is { StartedAt: { } s, FinishedAt: { } f } ? (f - s).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s" : "",
                string.Join(",", b.Stages.Select(st => st.Name)),
            }).ToList();
            Table.Write(Console.Out, ["BUILD ID", "STATUS", "CREATED", "DURATION", "STAGES"], rows);
            return 0;
        }));
        return command;
    }
}

/// <summary>Columns padded to their widest cell, like docker's listings.</summary>
internal static class Table
{
    public static void Write(TextWriter output, string[] header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in rows.Prepend(header))
            output.WriteLine(string.Join("   ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
    }
}
