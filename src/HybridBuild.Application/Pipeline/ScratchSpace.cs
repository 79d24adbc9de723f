namespace HybridBuild.Application.Pipeline;

/// <summary>
/// The layout of Worker:WorkDirectory, in one place: a stage run's folder (named by its run id), a spec file's checkout
/// (named by its delivery), and the spool files earlier versions made for uploaded contexts (under <c>uploads/</c>). Whoever makes one removes it
/// when done (<see cref="Delete"/>); what a killed node left behind is found by <see cref="ScratchSweep"/> by these names.
/// </summary>
internal sealed class ScratchSpace(IOptions<WorkerOptions> options)
{
    private const string SpecPrefix = "spec-";
    private const string UploadsFolder = "uploads";
    private const string UploadPrefix = "context-";

    public string Root => options.Value.WorkDirectory;

    public string RunDirectory(Guid runId) => Path.Combine(Root, runId.ToString("N"));

    public string SpecCheckout(Guid deliveryId) => Path.Combine(Root, SpecPrefix + deliveryId.ToString("N"));

    /// <summary>The run a folder of the work directory belongs to, when its name is a run's.</summary>
    public static Guid? RunOf(string directory) => Guid.TryParseExact(Path.GetFileName(directory), "N", out var run) ? run : null;

    /// <summary>The delivery a folder of the work directory is the spec checkout of, when its name is one's.</summary>
    public static Guid? DeliveryOf(string directory) =>
        Path.GetFileName(directory) is { } name && name.StartsWith(SpecPrefix, StringComparison.Ordinal)
        && Guid.TryParseExact(name[SpecPrefix.Length..], "N", out var delivery) ? delivery : null;

    /// <summary>
    /// The upload spool files there are, whoever made them: uploads now stream into blob storage, but a node of an
    /// earlier version that was killed mid-upload left its spool file under <c>uploads/context-…</c>.
    /// </summary>
    public IEnumerable<string> UploadFiles()
    {
        var folder = Path.Combine(Root, UploadsFolder);
        return Directory.Exists(folder) ? Directory.EnumerateFiles(folder, UploadPrefix + "*") : [];
    }

    /// <summary>
    /// Removes a scratch folder or file. A build's export keeps its files' modes, so it may hold folders without write
    /// permission, which a node not running as root cannot empty: those are made writable and the removal tried again.
    /// False when something is left (it is retried by the sweep).
    /// </summary>
    public static bool Delete(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
                else File.Delete(path);
                return true;
            }
            catch (UnauthorizedAccessException) when (attempt == 0)
            {
                MakeWritable(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }

    private static void MakeWritable(string directory)
    {
        try
        {
            var info = new DirectoryInfo(directory);
            if (!info.Exists || info.LinkTarget is not null) return;
            info.UnixFileMode |= UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            foreach (var child in info.EnumerateDirectories()) MakeWritable(child.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // not ours to change: the removal then reports what is left
        }
    }
}
