namespace HybridBuild.Cli.Api;

// The parts of the service's answers the command line reads; unknown fields are ignored, so the service may add more.

/// <summary>A build as <c>GET /api/v1/builds/{id}</c> shows it.</summary>
internal sealed record BuildView(Guid Id, BuildStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    IReadOnlyList<StageView> Stages);

/// <summary>A stage of a build: its status, output, error and (on GET) its artifacts.</summary>
internal sealed record StageView(string Name, string? Target, StageStatus Status, StageOutputView Output, double? DurationSeconds, string? Error,
    string? ImageDigest, IReadOnlyList<ArtifactView>? Artifacts);

/// <summary>What a stage exports: files (artifacts), an image, or an image tarball.</summary>
internal sealed record StageOutputView(OutputType Type, IReadOnlyList<string>? Tags, bool Push);

/// <summary>One stored file of a stage; <c>mode</c> is octal text ("0755").</summary>
internal sealed record ArtifactView(string Stage, string Path, string? Platform, long Size, string Sha256, string Mode, string Href);

/// <summary>A page of <c>GET /api/v1/builds</c>, newest first.</summary>
internal sealed record BuildPageView(IReadOnlyList<BuildView> Items, int Page, int PageSize, int TotalCount);

/// <summary>A publication as the service answers it.</summary>
internal sealed record PublicationView(Guid Id, Guid BuildId, string Target, PublicationStatus Status, bool DryRun, string? Error, IReadOnlyList<PublishedArtifact> Files);

/// <summary>What <c>POST /api/v1/builds/{id}/publications</c> takes.</summary>
internal sealed record PublishRequestBody(string Target, List<string>? Stages, string? Path, Dictionary<string, string>? Properties, bool DryRun);
