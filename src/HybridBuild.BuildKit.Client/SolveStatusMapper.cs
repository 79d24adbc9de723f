using Google.Protobuf.WellKnownTypes;
using Wire = HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Client;

/// <summary>Copies the daemon's progress messages into the public records, so protocol types stay internal.</summary>
internal static class SolveStatusMapper
{
    public static SolveStatus ToSolveStatus(Wire.StatusResponse response) => new(
        [.. response.Vertexes.Select(v => new SolveVertex(
            v.Digest, [.. v.Inputs], v.Name, v.Cached, Time(v.Started), Time(v.Completed), v.Error.Length > 0 ? v.Error : null))],
        [.. response.Statuses.Select(s => new SolveVertexStatus(
            s.ID, s.Vertex, s.Name, s.Current, s.Total, Time(s.Timestamp), Time(s.Started), Time(s.Completed)))],
        [.. response.Logs.Select(l => new SolveLog(l.Vertex, (int)l.Stream, l.Msg.Memory, Time(l.Timestamp)))],
        [.. response.Warnings.Select(w => new SolveWarning(
            w.Vertex, w.Level, Text(w.Short), [.. w.Detail.Select(Text)], w.Url.Length > 0 ? w.Url : null))]);

    private static DateTimeOffset? Time(Timestamp? timestamp) => timestamp?.ToDateTimeOffset();

    private static string Text(Google.Protobuf.ByteString bytes) => Encoding.UTF8.GetString(bytes.Span);
}
