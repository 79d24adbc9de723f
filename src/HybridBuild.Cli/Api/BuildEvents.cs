using System.Runtime.CompilerServices;

namespace HybridBuild.Cli.Api;

/// <summary>One Server-Sent Event of a build's log: <c>step</c>, <c>log</c>, <c>stage</c> or <c>end</c>, with its JSON data.</summary>
internal sealed record BuildEvent(long Id, string Kind, JsonObject Data);

/// <summary>
/// Follows a build's log as Server-Sent Events until the <c>end</c> event; a dropped connection is resumed from the
/// last event seen (Last-Event-ID), so nothing is shown twice or lost.
/// </summary>
internal static class BuildEvents
{
    private static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(2);
    /// <summary>The service sends a log line per event, bounded by its own limits; far more than that is refused, not held.</summary>
    private const int MaxEventChars = 16 << 20;

    /// <summary>The build's events after the one with id <paramref name="after"/> (0: from the start) until its end.</summary>
    public static async IAsyncEnumerable<BuildEvent> FollowAsync(ServiceClient client, Guid id, [EnumeratorCancellation] CancellationToken cancellationToken, long after = 0)
    {
        var last = after;
        var failures = 0;
        while (true)
        {
            var events = new List<BuildEvent>();
            IAsyncEnumerator<BuildEvent>? reader = null;
            HttpResponseMessage? response = null;
            try
            {
                // the client tries again on its own while the service cannot be reached or is being replaced
                response = await client.GetEventStreamAsync(id, last, cancellationToken);
                reader = ReadAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken).GetAsyncEnumerator(cancellationToken);
            }
            catch
            {
                response?.Dispose();
                throw;
            }
            await using (reader)
            using (response)
            {
                while (true)
                {
                    BuildEvent current;
                    try
                    {
                        if (!await reader.MoveNextAsync()) break;
                        current = reader.Current;
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested && ++failures < 5)
                    {
                        break; // resumed below from the last event seen
                    }
                    failures = 0;
                    if (current.Id > 0) last = current.Id;
                    yield return current;
                    if (current.Kind == "end") yield break;
                }
            }
            if (++failures >= 5) throw new IOException($"The log stream of build {id} kept closing before the build ended.");
            await Task.Delay(Reconnect, cancellationToken);
        }
    }

    private static async IAsyncEnumerable<BuildEvent> ReadAsync(Stream body, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var lines = new StreamReader(body, Encoding.UTF8);
        long id = 0;
        string? kind = null;
        var data = new StringBuilder();
        while (await lines.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (kind is not null && data.Length > 0 && JsonNode.Parse(data.ToString()) is JsonObject payload)
                    yield return new BuildEvent(id, kind, payload);
                (id, kind) = (0, null);
                data.Clear();
                continue;
            }
            if (line[0] == ':') continue; // a comment: the keep-alive
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": long.TryParse(value, out id); break;
                case "event": kind = value; break;
                case "data":
                    if (data.Length + value.Length > MaxEventChars)
                        throw new InvalidDataException($"An event of the log stream is longer than {MaxEventChars} characters: that is not the service's stream.");
                    if (data.Length > 0) data.Append('\n');
                    data.Append(value);
                    break;
            }
        }
    }
}
