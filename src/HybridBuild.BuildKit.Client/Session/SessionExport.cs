namespace HybridBuild.BuildKit.Client.Session;

/// <summary>Where the daemon's output for one exporter lands on this side of the session.</summary>
public abstract record SessionExport
{
    private SessionExport()
    {
    }

    /// <summary>
    /// A directory, for the <c>local</c> exporter: the daemon sends a file tree (fsutil packets), which is written
    /// below <see cref="Path"/> within the given bounds.
    /// </summary>
    public sealed record Directory : SessionExport
    {
        /// <summary>Creates a directory target.</summary>
        /// <param name="path">The destination directory.</param>
        /// <param name="maxEntries">How many entries the daemon may create there.</param>
        /// <param name="maxBytes">How many bytes of file content the daemon may write there.</param>
        public Directory(string path, long maxEntries, long maxBytes)
            : this(path, new ReceiveLimits(maxEntries, maxBytes))
        {
        }

        // ReceiveLimits is internal to the library, so this form cannot be the public one.
        internal Directory(string path, ReceiveLimits limits)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            Path = path;
            Limits = limits;
        }

        /// <summary>The destination directory.</summary>
        public string Path { get; }

        /// <summary>How many entries the daemon may create.</summary>
        public long MaxEntries => Limits.MaxEntries;

        /// <summary>How many bytes of file content the daemon may write.</summary>
        public long MaxBytes => Limits.MaxBytes;

        internal ReceiveLimits Limits { get; }
    }

    /// <summary>A sink, for the <c>local</c> exporter: the daemon's file tree is validated as for a directory and handed over file by file.</summary>
    public sealed record Files : SessionExport
    {
        /// <summary>Creates a sink target.</summary>
        /// <param name="sink">Takes the files.</param>
        /// <param name="maxEntries">How many entries the daemon may send.</param>
        /// <param name="maxBytes">How many bytes of file content the daemon may send.</param>
        public Files(IExportFileSink sink, long maxEntries, long maxBytes)
        {
            ArgumentNullException.ThrowIfNull(sink);
            Sink = sink;
            Limits = new ReceiveLimits(maxEntries, maxBytes);
        }

        /// <summary>Takes the files.</summary>
        public IExportFileSink Sink { get; }

        internal ReceiveLimits Limits { get; }
    }

    /// <summary>A file, for the <c>tar</c>, <c>oci</c> and <c>docker</c> exporters: the daemon sends one archive.</summary>
    /// <param name="Path">The destination file; replaced only once the archive is complete.</param>
    public sealed record File(string Path) : SessionExport;

    /// <summary>A sink, for the <c>tar</c>, <c>oci</c> and <c>docker</c> exporters: the daemon's archive is handed to <see cref="Sink"/> as one file at <see cref="Path"/>, as it arrives.</summary>
    /// <param name="Sink">Takes the archive.</param>
    /// <param name="Path">The file name the sink is given.</param>
    /// <param name="MaxBytes">How many bytes the archive may hold; past it the transfer fails.</param>
    public sealed record FileToSink(IExportFileSink Sink, string Path, long MaxBytes) : SessionExport;
}
