using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;
using HybridBuild.Data;
using Microsoft.EntityFrameworkCore;

namespace HybridBuild.Api.Pipeline;

/// <summary>Copies the artifacts of the stages a stage takes as inputs into its context, where its Dockerfile COPYs them from.</summary>
internal sealed class InputPlacer(BuildDbContext db, IBlobStore blobs)
{
    public async Task PlaceAsync(Stage stage, string contextDirectory, LogSink log, CancellationToken cancellationToken)
    {
        foreach (var input in stage.Inputs)
        {
            var artifacts = await db.Artifacts.AsNoTracking()
                .Where(a => a.BuildId == stage.BuildId && a.StageName == input.Stage)
                .OrderBy(a => a.Path).ToListAsync(cancellationToken);
            foreach (var artifact in artifacts)
            {
                var target = SafeTarget(contextDirectory, $"{input.Path}/{artifact.Path}");
                await using (var source = await blobs.OpenReadAsync(artifact.BlobKey, cancellationToken)
                    ?? throw new InvalidOperationException($"Artifact {artifact.Path} of stage '{input.Stage}' is missing from blob storage ({artifact.BlobKey})."))
                await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    await source.CopyToAsync(file, cancellationToken);
                File.SetUnixFileMode(target, (UnixFileMode)artifact.Mode);
            }
            log.Note($"placed {artifacts.Count} artifact(s) of stage '{input.Stage}' at {input.Path}/");
        }
    }

    /// <summary>Creates the folders to a file inside the context, refusing to write through a link the source brought along.</summary>
    private static string SafeTarget(string root, string relative)
    {
        var path = Path.GetFullPath(root);
        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            path = Path.Combine(path, segments[i]);
            var info = new FileInfo(path);
            if (info.LinkTarget is not null)
                throw new InvalidOperationException($"Input path '{relative}' goes through the symbolic link '{string.Join('/', segments[..(i + 1)])}' of the context.");
            if (i < segments.Length - 1 && !Directory.Exists(path)) Directory.CreateDirectory(path);
        }
        return path;
    }
}
