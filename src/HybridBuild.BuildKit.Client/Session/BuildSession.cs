using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace HybridBuild.BuildKit.Client.Session;

/// <summary>
/// What one solve exposes to the BuildKit daemon through a session: local directories (the build context and the
/// Dockerfile), export targets, secrets and registry credentials. Fill it before the session is served; the session
/// services only read it, from several calls at once.
/// </summary>
public sealed class BuildSession
{
    // Go's session IDs are 25 base36 characters; the daemon strips everything up to a ':' when looking one up.
    private const string IdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    private const int IdLength = 25;
    private const string Name = "hybridbuild";

    private readonly ConcurrentDictionary<SessionExport, ReceiveBudget> _exportBudgets = new(ReferenceEqualityComparer.Instance);
    private Exception? _exportFailure;

    /// <summary>Creates a session with a fresh random <see cref="Id"/>.</summary>
    /// <param name="sharedKey">
    /// A stable ASCII key per logical source (for example a hash of repository and path): the daemon finds the
    /// previous snapshot of a local directory through it, so a stable key makes context transfers incremental.
    /// May be empty.
    /// </param>
    public BuildSession(string sharedKey)
    {
        ArgumentNullException.ThrowIfNull(sharedKey);
        // It travels as a header value, on HTTP/1.1 as well as HTTP/2.
        if (sharedKey.Any(c => c < 0x20 || c > 0x7e))
        {
            throw new ArgumentException("The shared key must be printable ASCII.", nameof(sharedKey));
        }

        SharedKey = sharedKey;
        Id = new string(RandomNumberGenerator.GetItems<char>(IdAlphabet, IdLength));
    }

    /// <summary>The session ID: also the <c>Session</c> field of the solve request.</summary>
    public string Id { get; }

    /// <summary>The shared key given at construction.</summary>
    public string SharedKey { get; }

    /// <summary>Local directories by the name the frontend asks for (<c>context</c>, <c>dockerfile</c>, named contexts).</summary>
    public IDictionary<string, string> LocalDirectories { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Export targets; the index is the exporter's position in the solve request's exporters.</summary>
    public IList<SessionExport> Exports { get; } = new List<SessionExport>();

    /// <summary>Secrets by ID, for <c>RUN --mount=type=secret,id=...</c>.</summary>
    public IDictionary<string, byte[]> Secrets { get; } = new Dictionary<string, byte[]>(StringComparer.Ordinal);

    /// <summary>Registry host (e.g. <c>registry-1.docker.io</c>) to credentials; null or a null result means anonymous.</summary>
    public Func<string, RegistryCredential?>? Credentials { get; set; }

    /// <summary>
    /// The gRPC methods to advertise, <c>/&lt;service&gt;/&lt;method&gt;</c>. The daemon only checks FileSync (it calls it
    /// only when listed) and FileSend (an export fails when it is not listed), so those two follow the content.
    /// </summary>
    public IReadOnlyList<string> AdvertisedMethods
    {
        get
        {
            var methods = new List<string> { SessionMethods.HealthCheck };
            if (LocalDirectories.Count > 0)
            {
                methods.Add(SessionMethods.FileSyncDiffCopy);
            }

            if (Exports.Count > 0)
            {
                methods.Add(SessionMethods.FileSendDiffCopy);
            }

            methods.Add(SessionMethods.AuthCredentials);
            methods.Add(SessionMethods.SecretsGetSecret);
            return methods;
        }
    }

    /// <summary>
    /// The headers that open the session (<c>X-Docker-Expose-Session-*</c>), the method header once per advertised
    /// method: send each pair as its own header field, never joined.
    /// </summary>
    public IEnumerable<KeyValuePair<string, string>> Headers
    {
        get
        {
            yield return new(SessionHeaders.Uuid, Id);
            yield return new(SessionHeaders.SharedKey, SharedKey);
            yield return new(SessionHeaders.Name, Name);
            foreach (var method in AdvertisedMethods)
            {
                yield return new(SessionHeaders.GrpcMethod, method);
            }
        }
    }

    /// <summary>The first export that was refused or failed, for the solve to report; null when none did.</summary>
    public Exception? ExportFailure => Volatile.Read(ref _exportFailure);

    /// <summary>Keeps the first failure: later ones are usually consequences of it.</summary>
    /// <summary>One budget per directory or sink target, shared by all its streams (one per platform), so the limits bound them together.</summary>
    internal ReceiveBudget ExportBudget(SessionExport target, ReceiveLimits limits) => _exportBudgets.GetOrAdd(target, static (_, l) => new ReceiveBudget(l), limits);

    internal void RecordExportFailure(Exception failure) => Interlocked.CompareExchange(ref _exportFailure, failure, null);
}
