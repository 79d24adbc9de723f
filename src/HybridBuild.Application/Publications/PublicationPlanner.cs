namespace HybridBuild.Application.Publications;

/// <summary>Where each artifact or image of a build goes: the templates rendered with the build's and the file's values.</summary>
internal static class PublicationPlanner
{
    public const string DefaultFileTemplate = "{buildId}/{stage}/{path}";
    public const string DefaultImageTemplate = "{stage}:{buildId}";

    public static PublishedArtifact PlanFile(Artifact artifact, Build build, string template, Dictionary<string, string> properties)
    {
        var values = Values(build, artifact.StageName, artifact.Platform?.Replace('/', '_'), artifact.Path, System.IO.Path.GetFileName(artifact.Path));
        return new PublishedArtifact
        {
            Stage = artifact.StageName, Path = artifact.Path, Platform = artifact.Platform, Size = artifact.Size, Sha256 = artifact.Sha256,
            Destination = PathTemplate.Render(template, values).Replace("//", "/").TrimStart('/'),
            Properties = properties.ToDictionary(p => p.Key, p => PathTemplate.Render(p.Value, values)),
            Status = PublishedFileStatus.Pending,
        };
    }

    public static PublishedArtifact PlanImage(Stage stage, Build build, string template)
    {
        var destination = PathTemplate.Render(template, Values(build, stage.Name, null, stage.Name, stage.Name)).Trim('/');
        return new PublishedArtifact
        {
            Stage = stage.Name, Path = stage.Output.Tags[0], Sha256 = stage.ImageDigest!, Status = PublishedFileStatus.Pending,
            Destination = destination.Contains(':') ? destination : destination + ":latest",
        };
    }

    /// <summary>The images a publication to an OCI target copies: the chosen stages' pushed images.</summary>
    public static bool IsPublishableImage(Stage stage) =>
        stage.Output is { Type: OutputType.Image, Push: true } && stage.ImageDigest is not null && stage.Output.Tags.Count > 0;

    private static Dictionary<string, string?> Values(Build build, string stage, string? platform, string path, string file) => new()
    {
        ["buildId"] = build.Id.ToString(), ["stage"] = stage, ["platform"] = platform, ["path"] = path, ["file"] = file,
        ["commit"] = build.GitCommit, ["ref"] = build.GitRef,
    };
}
