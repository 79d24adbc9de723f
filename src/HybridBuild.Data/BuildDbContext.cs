using System.Text.Json;
using HybridBuild.Core.Domain;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace HybridBuild.Data;

/// <summary>Builds, stages, artifacts and log events: the service's source of truth.</summary>
public sealed class BuildDbContext(DbContextOptions<BuildDbContext> options) : DbContext(options)
{
    public const string Schema = "hybridbuild";

    public DbSet<Build> Builds => Set<Build>();
    public DbSet<Stage> Stages => Set<Stage>();
    public DbSet<Artifact> Artifacts => Set<Artifact>();
    public DbSet<LogEvent> LogEvents => Set<LogEvent>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<BuildSecret> Secrets => Set<BuildSecret>();
    public DbSet<Publication> Publications => Set<Publication>();
    public DbSet<Trigger> Triggers => Set<Trigger>();
    public DbSet<TriggerDelivery> TriggerDeliveries => Set<TriggerDelivery>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<Node> Nodes => Set<Node>();
    public DbSet<StepTiming> StepTimings => Set<StepTiming>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.HasDefaultSchema(Schema);

        model.Entity<Build>(b =>
        {
            b.ToTable("builds");
            b.HasKey(x => x.Id);
            b.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            b.Property(x => x.SourceKind).HasConversion<string>().HasMaxLength(16);
            b.Property(x => x.GitUrl).HasMaxLength(2048);
            b.Property(x => x.GitRef).HasMaxLength(255);
            b.Property(x => x.GitCommit).HasMaxLength(64);
            b.Property(x => x.ContextKey).HasMaxLength(512);
            b.Property(x => x.Dockerfile).HasMaxLength(1024);
            b.Property(x => x.IdempotencyKey).HasMaxLength(255);
            b.Property(x => x.RequestFingerprint).HasMaxLength(64);
            b.HasIndex(x => x.IdempotencyKey).IsUnique();
            b.HasIndex(x => new { x.Status, x.CreatedAt });
            b.HasIndex(x => x.CreatedAt);
            b.HasIndex(x => new { x.Status, x.FinishedAt }); // retention looks for builds of a status finished before a time
            b.HasIndex(x => x.FollowUpsDueSince).HasFilter("\"FollowUpsDueSince\" IS NOT NULL"); // the reconciler, for follow-ups a node left
            Json(b.Property(x => x.Publish));
            Json(b.Property(x => x.Reproduction));
            b.Property(x => x.ReproductionOf); // no foreign key: a reproduction outlives the build it reproduced
            Json(b.Property(x => x.Notify));
            b.HasMany(x => x.Stages).WithOne(s => s.Build).HasForeignKey(s => s.BuildId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Stage>(s =>
        {
            s.ToTable("stages");
            s.HasKey(x => x.Id);
            s.HasIndex(x => new { x.BuildId, x.Name }).IsUnique();
            s.HasIndex(x => x.Status); // the reconciler looks for queued and running stages
            s.Property(x => x.Name).HasMaxLength(63);
            s.Property(x => x.Target).HasMaxLength(128);
            s.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            s.Property(x => x.ImageDigest).HasMaxLength(128);
            s.Property(x => x.Builder).HasMaxLength(64);
            s.Property(x => x.Runtime).HasMaxLength(512);
            Json(s.Property(x => x.Run));
            s.Property(x => x.JobId).HasMaxLength(64);
            Json(s.Property(x => x.BuildArgs));
            Json(s.Property(x => x.Inputs));
            Json(s.Property(x => x.Output));
            Json(s.Property(x => x.Secrets));
            Json(s.Property(x => x.Matrix));
            Json(s.Property(x => x.Cache));
            Json(s.Property(x => x.CacheUse));
            s.Ignore(x => x.Dependencies);
        });

        model.Entity<StepTiming>(t =>
        {
            t.ToTable("step_timings");
            t.HasKey(x => x.Digest);
            t.Property(x => x.Digest).HasMaxLength(100);
            t.HasIndex(x => x.RecordedAt); // retention removes timings no solve has refreshed for a while
        });

        model.Entity<Trigger>(t =>
        {
            t.ToTable("triggers");
            t.HasKey(x => x.Id);
            t.Property(x => x.Name).HasMaxLength(100);
            t.Property(x => x.RepositoryUrl).HasMaxLength(2048);
            t.Property(x => x.SpecPath).HasMaxLength(1024);
            t.Property(x => x.Provider).HasConversion<string>().HasMaxLength(16);
            Json(t.Property(x => x.Branches));
            Json(t.Property(x => x.Tags));
            Json(t.Property(x => x.Spec));
            Json(t.Property(x => x.Secrets));
            Json(t.Property(x => x.Report));
            Json(t.Property(x => x.Notify));
        });

        model.Entity<Notification>(n =>
        {
            n.ToTable("notifications");
            n.HasKey(x => x.Id);
            n.HasIndex(x => new { x.BuildId, x.CreatedAt });
            // a notification goes with its build; a run still sending one finds it gone and stops
            n.HasOne<Build>().WithMany().HasForeignKey(x => x.BuildId).OnDelete(DeleteBehavior.Cascade);
            n.HasIndex(x => new { x.Status, x.NextAttemptAt }); // the reconciler looks for pending and sending ones
            n.Property(x => x.Kind).HasConversion<string>().HasMaxLength(16);
            n.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            n.Property(x => x.Event).HasMaxLength(32);
            n.Property(x => x.Url).HasMaxLength(2048);
            n.Property(x => x.LastError).HasMaxLength(500);
            n.Property(x => x.JobId).HasMaxLength(64);
        });

        model.Entity<TriggerDelivery>(d =>
        {
            d.ToTable("trigger_deliveries");
            d.HasKey(x => x.Id);
            d.HasIndex(x => new { x.TriggerId, x.DeliveryKey }).IsUnique();
            // the atomic half of replay protection: two identical deliveries at once cannot both be recorded
            d.HasIndex(x => new { x.TriggerId, x.ContentSha256 }).IsUnique().HasFilter("\"ContentSha256\" IS NOT NULL");
            d.Property(x => x.ContentSha256).HasMaxLength(64);
            d.HasIndex(x => new { x.TriggerId, x.ReceivedAt });
            d.Property(x => x.DeliveryKey).HasMaxLength(255);
            d.Property(x => x.Event).HasMaxLength(64);
            d.Property(x => x.Ref).HasMaxLength(255);
            d.Property(x => x.Commit).HasMaxLength(64);
            // lower case, as the column held before the outcome was an enum
            d.Property(x => x.Outcome).HasMaxLength(16)
                .HasConversion(v => v.ToString().ToLowerInvariant(), v => Enum.Parse<DeliveryOutcome>(v, true));
            d.HasIndex(x => x.Outcome);
            d.Property(x => x.JobId).HasMaxLength(64);
            d.Property(x => x.Reason).HasMaxLength(255);
        });

        model.Entity<Publication>(p =>
        {
            p.ToTable("publications");
            p.HasKey(x => x.Id);
            p.HasIndex(x => x.BuildId);
            // a publication created while its build is deleted either finds the build gone (its insert fails) or goes with it
            p.HasOne<Build>().WithMany().HasForeignKey(x => x.BuildId).OnDelete(DeleteBehavior.Cascade);
            p.HasIndex(x => x.IdempotencyKey).IsUnique();
            p.Property(x => x.Target).HasMaxLength(100);
            p.Property(x => x.PathTemplate).HasMaxLength(1024);
            p.Property(x => x.IdempotencyKey).HasMaxLength(255);
            p.Property(x => x.RequestFingerprint).HasMaxLength(64);
            p.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            Json(p.Property(x => x.Stages));
            Json(p.Property(x => x.Properties));
            Json(p.Property(x => x.Files));
            p.HasIndex(x => x.Status);
            p.Property(x => x.JobId).HasMaxLength(64);
        });

        model.Entity<Node>(n =>
        {
            n.ToTable("nodes");
            n.HasKey(x => x.Id);
            n.Property(x => x.Name).HasMaxLength(255);
        });

        model.Entity<BuildSecret>(b =>
        {
            b.ToTable("build_secrets");
            b.HasKey(x => x.Name);
            b.Property(x => x.Name).HasMaxLength(64);
            Json(b.Property(x => x.AllowedKeys));
        });

        model.Entity<ApiKey>(k =>
        {
            k.ToTable("api_keys");
            k.HasKey(x => x.Id);
            k.Property(x => x.Name).HasMaxLength(100);
            k.Property(x => x.Hash).HasMaxLength(64);
            k.Property(x => x.CreatedBy).HasMaxLength(100);
            k.HasIndex(x => x.Hash).IsUnique();
            Json(k.Property(x => x.Scopes));
        });

        model.Entity<Artifact>(a =>
        {
            a.ToTable("artifacts");
            a.HasKey(x => x.Id);
            a.HasIndex(x => new { x.BuildId, x.StageName, x.Path }).IsUnique();
            a.HasIndex(x => x.BlobKey); // deleting a build asks whether another build still references each of its blobs
            a.HasOne<Stage>().WithMany().HasForeignKey(x => x.StageId).OnDelete(DeleteBehavior.Cascade);
            a.Property(x => x.StageName).HasMaxLength(63);
            a.Property(x => x.Path).HasMaxLength(4096);
            a.Property(x => x.Platform).HasMaxLength(64);
            a.Property(x => x.Sha256).HasMaxLength(64).IsFixedLength();
            a.Property(x => x.BlobKey).HasMaxLength(512);
        });

        model.Entity<LogEvent>(l =>
        {
            l.ToTable("log_events");
            l.HasKey(x => x.Id);
            l.Property(x => x.Id).UseIdentityAlwaysColumn();
            l.HasIndex(x => new { x.BuildId, x.Id });
            l.Property(x => x.Stage).HasMaxLength(63);
            l.Property(x => x.Kind).HasConversion<string>().HasMaxLength(8);
        });
    }

    private static void Json<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<T> property)
    {
        var converter = new ValueConverter<T, string>(
            v => JsonSerializer.Serialize(v, JsonOptions),
            v => JsonSerializer.Deserialize<T>(v, JsonOptions)!);
        var comparer = new ValueComparer<T>(
            (a, b) => JsonSerializer.Serialize(a, JsonOptions) == JsonSerializer.Serialize(b, JsonOptions),
            v => JsonSerializer.Serialize(v, JsonOptions).GetHashCode(),
            v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonOptions), JsonOptions)!);
        property.HasConversion(converter, comparer).HasColumnType("jsonb");
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };
}
