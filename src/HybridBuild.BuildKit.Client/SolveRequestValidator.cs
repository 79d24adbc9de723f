namespace HybridBuild.BuildKit.Client;

/// <summary>Refuses requests the daemon would fail on late, or that would write somewhere unexpected.</summary>
internal static class SolveRequestValidator
{
    public static void Validate(SolveRequest request)
    {
        RequireDirectory(request.ContextDirectory, nameof(SolveRequest.ContextDirectory));
        if (request.DockerfileDirectory is not null)
        {
            RequireDirectory(request.DockerfileDirectory, nameof(SolveRequest.DockerfileDirectory));
        }
        if (string.IsNullOrWhiteSpace(request.DockerfileName) || Path.IsPathRooted(request.DockerfileName))
        {
            throw new ArgumentException("DockerfileName must be a path relative to the Dockerfile directory.", nameof(request));
        }
        // The daemon splits the shared key on ':'.
        if (request.SharedKey is { } key && key.Contains(':'))
        {
            throw new ArgumentException("SharedKey cannot contain ':'.", nameof(request));
        }
        foreach (var export in request.Exports)
        {
            switch (export)
            {
                case ExportRequest.Local { Directory: var directory } when string.IsNullOrWhiteSpace(directory):
                    throw new ArgumentException("A local export needs a directory.", nameof(request));
                case ExportRequest.LocalFiles { Sink: null }:
                    throw new ArgumentException("A local files export needs a sink.", nameof(request));
                case ExportRequest.Tar { FilePath: var file } when string.IsNullOrWhiteSpace(file):
                    throw new ArgumentException("A tar export needs a file path.", nameof(request));
                case ExportRequest.ImageArchive archive when string.IsNullOrWhiteSpace(archive.FilePath) == (archive.Sink is null):
                    throw new ArgumentException("An image archive export needs either a file path or a sink.", nameof(request));
                case ExportRequest.ImageArchive { Sink: not null, SinkPath: var sinkPath } when string.IsNullOrWhiteSpace(sinkPath):
                    throw new ArgumentException("An image archive export to a sink needs a file name.", nameof(request));
                case ExportRequest.DockerStore { Names.Count: 0 }:
                    throw new ArgumentException("A Docker store export needs at least one image name.", nameof(request));
                case null:
                    throw new ArgumentException("Exports cannot contain null.", nameof(request));
            }
        }
    }

    private static void RequireDirectory(string? path, string name)
    {
        if (string.IsNullOrWhiteSpace(path) || !Directory.Exists(path))
        {
            throw new ArgumentException($"{name} '{path}' is not an existing directory.", name);
        }
    }
}
