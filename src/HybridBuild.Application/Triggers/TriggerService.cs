namespace HybridBuild.Application.Triggers;

/// <summary>Triggers, for admins: create (checked, the secret encrypted), read, delete, and their delivery logs.</summary>
internal sealed class TriggerService(BuildDbContext db, SecretCipher cipher, OutboundPolicy network, IOptions<SpecLimits> specLimits,
    IOptions<NotificationOptions> notifications, TimeProvider clock)
{
    public const int MaxDeliveriesListed = 200;
    public const int MaxSecrets = 100;

    public async Task<Trigger> CreateAsync(TriggerRequest request, CancellationToken cancellationToken)
    {
        var name = request.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 100) throw Invalid("name is required: 1 to 100 characters.", "name");
        if (GitUrl.Check(request.RepositoryUrl) is { } urlError) throw Invalid($"repositoryUrl {urlError}.", "repositoryUrl");
        if (await network.CheckAsync(GitUrl.Host(request.RepositoryUrl!), cancellationToken) is { } refused) throw Invalid($"repositoryUrl {refused}.", "repositoryUrl");
        if (!EnumNames<TriggerProvider>.TryParse(request.Provider, out var provider))
            throw Invalid($"provider must be one of: {EnumNames<TriggerProvider>.Allowed}.", "provider");
        if (request.Secret is not { Length: >= 16 and <= 256 }) throw Invalid("secret is required: 16 to 256 characters.", "secret");
        if ((request.Spec is null) == (request.SpecPath is null)) throw Invalid("give either spec (inline) or specPath (a file in the repository).", "spec");
        if (request.SpecPath is not null && !SpecRules.IsSafeRelativePath(request.SpecPath)) throw Invalid("specPath must be a relative path inside the repository.", "specPath");
        var spec = (request.Spec ?? new BuildSpec()) with { Source = new SourceSpec { Git = new GitSourceSpec { Url = request.RepositoryUrl, Ref = "main" } } };
        var stages = new List<Stage>();
        var errors = (request.Spec is null ? new Dictionary<string, string[]>() : SpecValidator.Validate(spec, false, out stages, specLimits.Value))
            .ToDictionary(e => "spec." + e.Key, e => e.Value);
        CheckFilters(request.Branches, "branches", errors);
        CheckFilters(request.Tags, "tags", errors);
        var secrets = CheckSecrets(request.Secrets, stages, errors);
        foreach (var (field, messages) in await NotifyRules.CheckAsync(request.Spec?.Notify, "spec.", network, notifications.Value, cancellationToken))
            errors[field] = messages;
        foreach (var (field, messages) in await NotifyRules.CheckAsync(request.Notify, "", network, notifications.Value, cancellationToken))
            errors[field] = messages;
        var report = await CheckReportAsync(request.Report, provider, request.RepositoryUrl!, name, errors, cancellationToken);
        if (errors.Count > 0) throw new SpecValidationException(errors);
        if (!cipher.Configured)
            throw new ConflictException("secrets-not-configured", "Webhook secrets cannot be stored.", "The service has no Secrets:MasterKey to encrypt the webhook secret with.");
        var trigger = new Trigger
        {
            Id = Guid.CreateVersion7(), Name = name, RepositoryUrl = request.RepositoryUrl!, Provider = provider,
            Branches = request.Branches ?? [], Tags = request.Tags ?? [], Spec = spec with { Source = null }, SpecPath = request.SpecPath, Secrets = secrets,
            Notify = [.. (request.Notify ?? []).Where(n => n is not null)], Report = report, CreatedAt = clock.GetUtcNow(),
        };
        trigger.SecretCiphertext = cipher.Encrypt(SecretContext(trigger.Id), Encoding.UTF8.GetBytes(request.Secret));
        if (report is not null) trigger.ReportTokenCiphertext = cipher.Encrypt(ReportTokenContext(trigger.Id), Encoding.UTF8.GetBytes(request.Report!.Token!));
        db.Triggers.Add(trigger);
        await db.SaveChangesAsync(cancellationToken);
        return trigger;
    }

    /// <summary>Branch and tag filters: 1 to 255 characters, no control characters, no null entries.</summary>
    private static void CheckFilters(List<string>? patterns, string field, Dictionary<string, string[]> errors)
    {
        for (var i = 0; i < (patterns?.Count ?? 0); i++)
            if (patterns![i] is not { Length: > 0 and <= 255 } p || string.IsNullOrWhiteSpace(p) || p.Any(char.IsControl))
                errors[$"{field}[{i}]"] = ["must be a pattern of 1 to 255 characters without control characters"];
    }

    /// <summary>
    /// The build secrets the trigger's builds may mount: secret names (they may be created later), and an inline spec
    /// names none but these, so its mistake shows now rather than at every delivery.
    /// </summary>
    private static List<string> CheckSecrets(List<string?>? secrets, List<Stage> stages, Dictionary<string, string[]> errors)
    {
        secrets ??= [];
        if (secrets.Count > MaxSecrets) errors["secrets"] = [$"may list at most {MaxSecrets} build secrets"];
        for (var i = 0; i < secrets.Count; i++)
            if (!SpecRules.IsSecretName(secrets[i]))
                errors[$"secrets[{i}]"] = ["must be a build secret's name: 1 to 64 letters, digits, '.', '_' or '-'"];
        List<string> listed = [.. secrets.OfType<string>().Distinct(StringComparer.Ordinal)];
        foreach (var stage in stages)
            for (var i = 0; i < stage.Secrets.Count; i++)
                if (!listed.Contains(stage.Secrets[i]))
                    errors[$"spec.stages[{stage.Ordinal}].secrets[{i}]"] = [$"'{stage.Secrets[i]}' is not in the trigger's secrets, so its builds may not mount it"];
        return listed;
    }

    /// <summary>What the trigger's secret is bound to when encrypted (associated data).</summary>
    public static string SecretContext(Guid triggerId) => $"trigger:{triggerId}";

    /// <summary>What the trigger's report token is bound to when encrypted: not interchangeable with its webhook secret.</summary>
    public static string ReportTokenContext(Guid triggerId) => $"trigger-report:{triggerId}";

    /// <summary>The report settings with their defaults filled in, or null when the trigger reports nothing.</summary>
    private async Task<TriggerReport?> CheckReportAsync(TriggerReportRequest? request, TriggerProvider provider, string repositoryUrl, string name,
        Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        if (request is null) return null;
        if (provider == TriggerProvider.Generic)
        {
            errors["report"] = ["commit statuses are posted to GitHub or GitLab: the provider must be github or gitlab"];
            return null;
        }
        if (request.Token is not { Length: > 0 and <= 1024 } token || token.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
            errors["report.token"] = ["is required: the provider's API token, 1 to 1024 characters without spaces"];
        var apiUrl = request.ApiUrl ?? CommitStatuses.DefaultApiUrl(provider, repositoryUrl);
        if (apiUrl is not { Length: <= 2048 } || !Uri.TryCreate(apiUrl, UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https")
            || api.UserInfo.Length > 0 || api.Query.Length > 0)
            errors["report.apiUrl"] = ["must be the provider API's http or https base URL (e.g. https://api.github.com, https://gitlab.example.com/api/v4)"];
        else if (await network.CheckAsync(api.Host, cancellationToken) is { } refused)
            errors["report.apiUrl"] = [refused];
        var repository = request.Repository ?? CommitStatuses.RepositoryPath(repositoryUrl);
        if (!CommitStatuses.IsRepositoryPath(repository))
            errors["report.repository"] = [request.Repository is null
                ? "cannot be read from repositoryUrl: give the repository's path on the provider (owner/repo, or GitLab's namespace/project)"
                : "must be the repository's path on the provider: owner/repo, or GitLab's namespace/project"];
        var context = request.Context ?? $"hybridbuild/{name}";
        if (context is not { Length: > 0 and <= 255 } || context.Any(char.IsControl))
            errors["report.context"] = ["must be 1 to 255 characters without control characters"];
        return errors.Keys.Any(k => k.StartsWith("report", StringComparison.Ordinal)) ? null : new TriggerReport(apiUrl!.TrimEnd('/'), repository!, context);
    }

    public Task<List<Trigger>> ListAsync(CancellationToken cancellationToken) =>
        db.Triggers.AsNoTracking().OrderBy(t => t.CreatedAt).ToListAsync(cancellationToken);

    /// <exception cref="NotFoundException">No such trigger.</exception>
    public async Task<Trigger> GetAsync(Guid id, CancellationToken cancellationToken) =>
        await db.Triggers.AsNoTracking().FirstOrDefaultAsync(t => t.Id == id, cancellationToken) ?? throw new NotFoundException($"There is no trigger {id}.");

    public async Task DeleteAsync(Guid id, CancellationToken cancellationToken)
    {
        await db.TriggerDeliveries.Where(d => d.TriggerId == id).ExecuteDeleteAsync(cancellationToken);
        if (await db.Triggers.Where(t => t.Id == id).ExecuteDeleteAsync(cancellationToken) == 0) throw new NotFoundException($"There is no trigger {id}.");
    }

    public async Task<List<TriggerDelivery>> DeliveriesAsync(Guid id, CancellationToken cancellationToken)
    {
        await GetAsync(id, cancellationToken);
        return await db.TriggerDeliveries.AsNoTracking().Where(d => d.TriggerId == id).OrderByDescending(d => d.ReceivedAt)
            .Take(MaxDeliveriesListed).ToListAsync(cancellationToken);
    }

    private static BadRequestException Invalid(string detail, string field) => new("validation", "The trigger is not valid.", detail, field);
}
