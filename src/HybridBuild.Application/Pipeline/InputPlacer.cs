using HybridBuild.Core.FileSystem;

namespace HybridBuild.Application.Pipeline;

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
                // the source may bring links along: an input is never written through one
                var relative = $"{input.Path}/{artifact.Path}";
                var target = UnixFileType.PrepareFile(contextDirectory, relative, includeLast: true, out var link)
                    ?? throw new InvalidOperationException($"Input path '{relative}' goes through the symbolic link '{link}' of the context.");
                await using (var source = await blobs.OpenReadAsync(artifact.BlobKey, cancellationToken)
                    ?? throw new InvalidOperationException($"Artifact {artifact.Path} of stage '{input.Stage}' is missing from blob storage ({artifact.BlobKey})."))
                await using (var file = new FileStream(target, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                    await source.CopyToAsync(file, cancellationToken);
                File.SetUnixFileMode(target, (UnixFileMode)artifact.Mode);
            }
            log.Note($"placed {artifacts.Count} artifact(s) of stage '{input.Stage}' at {input.Path}/");
        }
    }
}
