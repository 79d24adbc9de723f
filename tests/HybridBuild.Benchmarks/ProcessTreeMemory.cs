namespace HybridBuild.Benchmarks;

/// <summary>The resident memory of a process and all its descendants, from /proc (Linux).</summary>
internal static class ProcessTreeMemory
{
    public static async Task<long> SamplePeakAsync(int root, CancellationToken cancellationToken)
    {
        long peak = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            peak = Math.Max(peak, TreeResidentBytes(root));
            try { await Task.Delay(20, cancellationToken); } catch (OperationCanceledException) { }
        }
        return Math.Max(peak, TreeResidentBytes(root));
    }

    /// <summary>The tree's resident bytes now.</summary>
    public static long Current(int root) => TreeResidentBytes(root);

    /// <summary>One process's resident memory now, split into anonymous (heaps, JIT code) and file-backed (mapped assemblies).</summary>
    public static Resident Split(int pid)
    {
        long Field(string name) => File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024).FirstOrDefault();
        return new Resident(Field("VmRSS"), Field("RssAnon"), Field("RssFile"));
    }

    private static long TreeResidentBytes(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                // the command name is in parentheses and may hold spaces: fields resume after the last ')'
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1]);
            }
            catch (IOException) { } // the process ended while we looked
        }
        long total = 0;
        foreach (var pid in parents.Keys.Where(pid => IsInTree(pid, root, parents)))
            total += ResidentBytes(pid);
        return total;
    }

    private static bool IsInTree(int pid, int root, Dictionary<int, int> parents)
    {
        for (var current = pid; current > 1; current = parents.GetValueOrDefault(current))
            if (current == root) return true;
        return false;
    }

    private static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { }
        return 0;
    }
}

internal readonly record struct Resident(long Total, long Anonymous, long File)
{
    public override string ToString() => $"{Total / 1048576.0:F0} MiB ({Anonymous / 1048576.0:F0} anon + {File / 1048576.0:F0} file)";
}
