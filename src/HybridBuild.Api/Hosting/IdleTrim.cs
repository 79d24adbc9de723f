using System.Runtime;
using System.Runtime.InteropServices;

namespace HybridBuild.Api.Hosting;

/// <summary>
/// Gives memory back to the machine once the node is at rest (Runtime:TrimWhenIdle, on by default). The GC keeps the
/// segments a burst of work grew (uploads, a flood of hostile requests) committed for the next burst, and glibc keeps
/// freed native heap in its arenas; on a small machine shared with BuildKit and PostgreSQL that is memory the builds need.
/// Idle means the process allocated next to nothing for <see cref="QuietChecks"/> checks in a row; the trim (one
/// aggressive, compacting collection that decommits free space, then <c>malloc_trim</c>) runs once per idle period,
/// and only after enough was allocated since the last one to be worth a full collection.
/// </summary>
internal sealed partial class IdleTrim(ILogger<IdleTrim> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private const int QuietChecks = 3;
    /// <summary>Allocations per check below this are background chatter (heartbeats, queue polling), not work.</summary>
    private const long QuietBytes = 2 << 20;
    /// <summary>A trim is due only once this much has been allocated since the last one.</summary>
    private const long WorthTrimming = 64 << 20;
    private static bool s_mallocTrim = OperatingSystem.IsLinux();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        var last = GC.GetTotalAllocatedBytes();
        var atLastTrim = last;
        var quiet = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = GC.GetTotalAllocatedBytes();
            quiet = now - last < QuietBytes ? quiet + 1 : 0;
            last = now;
            if (quiet < QuietChecks || now - atLastTrim < WorthTrimming) continue;
            var before = Environment.WorkingSet;
            Trim();
            atLastTrim = last = GC.GetTotalAllocatedBytes();
            LogTrimmed((before - Environment.WorkingSet) >> 20, Environment.WorkingSet >> 20);
        }
    }

    private static void Trim()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        if (!s_mallocTrim) return;
        try { _ = MallocTrim(0); }
        catch (EntryPointNotFoundException) { s_mallocTrim = false; } // musl (Alpine) has no malloc_trim
        catch (DllNotFoundException) { s_mallocTrim = false; }
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in this project for one blittable call
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054

    [LoggerMessage(Level = LogLevel.Debug, Message = "Idle: gave {FreedMiB} MiB back to the machine; {ResidentMiB} MiB resident.")]
    private partial void LogTrimmed(long freedMiB, long residentMiB);
}
