using System.Security.Cryptography;
using Wire = HybridBuild.BuildKit.Client.Protocol.Control;

namespace HybridBuild.BuildKit.Client;

/// <summary>Turns a <see cref="SolveRequest"/> into the daemon's SolveRequest and the session that serves it.</summary>
internal static class SolveRequestMapper
{
    public const string DockerfileFrontend = "dockerfile.v0";

    /// <summary>
    /// The exporters in the order they are sent. Exports to this machine come first so that their indexes (the
    /// exporter ids the daemon sends back on FileSend) line up with the session's export list.
    /// </summary>
    public static IReadOnlyList<ExportRequest> OrderExports(IReadOnlyList<ExportRequest> exports) =>
        [.. exports.Where(OnThisSide), .. exports.Where(e => !OnThisSide(e))];

    private static bool OnThisSide(ExportRequest export) => export is ExportRequest.Local or ExportRequest.LocalFiles or ExportRequest.Tar or ExportRequest.ImageArchive;

    public static BuildSession CreateSession(SolveRequest request, IReadOnlyList<ExportRequest> orderedExports, BuildKitClientOptions options)
    {
        var context = Path.GetFullPath(request.ContextDirectory);
        var session = new BuildSession(request.SharedKey ?? DefaultSharedKey(context))
        {
            Credentials = request.Credentials,
        };
        session.LocalDirectories["context"] = context;
        session.LocalDirectories["dockerfile"] = Path.GetFullPath(request.DockerfileDirectory ?? context);
        foreach (var (id, value) in request.Secrets)
        {
            session.Secrets[id] = value;
        }
        foreach (var export in orderedExports)
        {
            switch (export)
            {
                case ExportRequest.Local local:
                    session.Exports.Add(new SessionExport.Directory(Path.GetFullPath(local.Directory), options.MaxExportEntries, options.MaxExportBytes));
                    break;
                case ExportRequest.LocalFiles files:
                    session.Exports.Add(new SessionExport.Files(files.Sink, options.MaxExportEntries, options.MaxExportBytes));
                    break;
                case ExportRequest.Tar tar:
                    session.Exports.Add(new SessionExport.File(Path.GetFullPath(tar.FilePath)));
                    break;
                case ExportRequest.ImageArchive { Sink: { } sink } archive:
                    session.Exports.Add(new SessionExport.FileToSink(sink, archive.SinkPath, options.MaxExportBytes));
                    break;
                case ExportRequest.ImageArchive archive:
                    session.Exports.Add(new SessionExport.File(Path.GetFullPath(archive.FilePath!)));
                    break;
            }
        }
        return session;
    }

    public static Wire.SolveRequest CreateSolveRequest(string reference, SolveRequest request, BuildSession session, IReadOnlyList<ExportRequest> orderedExports)
    {
        var solve = new Wire.SolveRequest
        {
            Ref = reference,
            Session = session.Id,
            Frontend = DockerfileFrontend,
        };
        solve.FrontendAttrs.Add(FrontendAttributes(request));
        solve.Exporters.AddRange(orderedExports.Select(ToExporter));
        if (request.CacheImports.Count > 0 || request.CacheExports.Count > 0)
        {
            solve.Cache = new Wire.CacheOptions();
            solve.Cache.Imports.AddRange(request.CacheImports.Select(ToCacheEntry));
            solve.Cache.Exports.AddRange(request.CacheExports.Select(ToCacheEntry));
        }
        // Daemons before v0.13 read only the first exporter, from the deprecated fields; newer ones prefer field 13.
        if (solve.Exporters.Count > 0)
        {
            solve.ExporterDeprecated = solve.Exporters[0].Type;
            solve.ExporterAttrsDeprecated.Add(solve.Exporters[0].Attrs);
        }
        return solve;
    }

    public static Dictionary<string, string> FrontendAttributes(SolveRequest request)
    {
        var attributes = new Dictionary<string, string> { ["filename"] = request.DockerfileName };
        if (!string.IsNullOrEmpty(request.Target))
        {
            attributes["target"] = request.Target;
        }
        foreach (var (name, value) in request.BuildArgs)
        {
            attributes["build-arg:" + name] = value;
        }
        foreach (var (name, value) in request.Labels)
        {
            attributes["label:" + name] = value;
        }
        if (request.Platforms.Count > 0)
        {
            attributes["platform"] = string.Join(',', request.Platforms);
        }
        foreach (var (kind, parameters) in request.Attestations)
        {
            attributes["attest:" + kind] = parameters;
        }
        if (request.NoCache)
        {
            // Present and empty: no cache for any stage (a value would name the stages).
            attributes["no-cache"] = "";
        }
        else if (request.NoCacheFilter.Count > 0)
        {
            attributes["no-cache"] = string.Join(',', request.NoCacheFilter);
        }
        if (request.CacheImports.Count > 0)
        {
            // the frontend resolves its own imports: it reads them here, as the Go client copies them (Go field names)
            attributes["cache-imports"] = System.Text.Json.JsonSerializer.Serialize(
                request.CacheImports.Select(i => new Dictionary<string, object> { ["Type"] = i.Type, ["Attrs"] = i.Attributes }));
        }
        return attributes;
    }

    private static Wire.CacheOptionsEntry ToCacheEntry(CacheTransfer record)
    {
        var entry = new Wire.CacheOptionsEntry { Type = record.Type };
        foreach (var (key, value) in record.Attributes) entry.Attrs[key] = value;
        return entry;
    }

    public static Wire.Exporter ToExporter(ExportRequest export)
    {
        var exporter = new Wire.Exporter();
        switch (export)
        {
            case ExportRequest.Local local:
                exporter.Type = "local";
                AddPlatformSplit(exporter, local.PlatformSplit);
                break;
            case ExportRequest.LocalFiles files:
                exporter.Type = "local";
                AddPlatformSplit(exporter, files.PlatformSplit);
                break;
            case ExportRequest.Tar tar:
                exporter.Type = "tar";
                AddPlatformSplit(exporter, tar.PlatformSplit);
                break;
            case ExportRequest.ImageArchive archive:
                exporter.Type = archive.Format == ImageArchiveFormat.Docker ? "docker" : "oci";
                if (archive.Names.Count > 0)
                {
                    exporter.Attrs["name"] = string.Join(',', archive.Names);
                }
                break;
            case ExportRequest.Image image:
                exporter.Type = "image";
                if (image.Names.Count > 0)
                {
                    exporter.Attrs["name"] = string.Join(',', image.Names);
                }
                exporter.Attrs["push"] = image.Push ? "true" : "false";
                if (image.InsecureRegistry)
                {
                    exporter.Attrs["registry.insecure"] = "true";
                }
                foreach (var (key, value) in image.Attributes ?? new Dictionary<string, string>())
                {
                    exporter.Attrs[key] = value;
                }
                break;
            case ExportRequest.DockerStore store:
                // dockerd's own exporter: the classic store knows only this one, and with the containerd store
                // dockerd maps it onto "image" with unpacking, so it works on both.
                exporter.Type = "moby";
                exporter.Attrs["name"] = string.Join(',', store.Names);
                break;
            default:
                throw new ArgumentException($"Unknown export {export.GetType().Name}.", nameof(export));
        }
        return exporter;
    }

    private static void AddPlatformSplit(Wire.Exporter exporter, bool? platformSplit)
    {
        if (platformSplit is { } split)
        {
            exporter.Attrs["platform-split"] = split ? "true" : "false";
        }
    }

    /// <summary>Stable for one directory, distinct between directories, and free of the ':' the daemon splits on.</summary>
    internal static string DefaultSharedKey(string contextDirectory) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(contextDirectory)))[..32];
}
