namespace HybridBuild.Cli.Api;

// The parts of the service's answers the command line reads; unknown fields are ignored, so the service may add more.

/// <summary>A build as <c>GET /api/v1/builds/{id}</c> shows it.</summary>
internal sealed record BuildView(Guid Id, BuildStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    IReadOnlyList<StageView> Stages);

internal sealed record StageView(string Name, string? Target, StageStatus Status, StageOutputView Output, double? DurationSeconds, string? Error,
    string? ImageDigest, IReadOnlyList<ArtifactView>? Artifacts);

internal sealed record StageOutputView(OutputType Type, IReadOnlyList<string>? Tags, bool Push);

internal sealed record ArtifactView(string Stage, string Path, string? Platform, long Size, string Sha256, string Mode, string Href);

internal sealed record BuildPageView(IReadOnlyList<BuildView> Items, int Page, int PageSize, int TotalCount);

/// <summary>A publication as the service answers it.</summary>
internal sealed record PublicationView(Guid Id, Guid BuildId, string Target, PublicationStatus Status, bool DryRun, string? Error, IReadOnlyList<PublishedArtifact> Files);

/// <summary>What <c>POST /api/v1/builds/{id}/publications</c> takes.</summary>
internal sealed record PublishRequestBody(string Target, List<string>? Stages, string? Path, Dictionary<string, string>? Properties, bool DryRun);
