namespace HybridBuild.Core.Specs;

/// <summary>The stage graph: which stages can run now, which can never run, and cycles.</summary>
public static class PipelinePlanner
{
    /// <summary>Stage names along a cycle (first name repeated at the end), or null when the graph is acyclic.</summary>
    public static IReadOnlyList<string>? FindCycle(IReadOnlyCollection<Stage> stages)
    {
        var byName = stages.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new List<string>();

        List<string>? Visit(string name)
        {
            state[name] = 1;
            path.Add(name);
            foreach (var dep in byName[name].Dependencies.Where(byName.ContainsKey))
            {
                var seen = state.GetValueOrDefault(dep);
                if (seen == 1) return [.. path.Skip(path.IndexOf(dep)), dep];
                if (seen == 0 && Visit(dep) is { } cycle) return cycle;
            }
            path.RemoveAt(path.Count - 1);
            state[name] = 2;
            return null;
        }

        foreach (var stage in stages)
            if (state.GetValueOrDefault(stage.Name) == 0 && Visit(stage.Name) is { } found)
            {
                found.Reverse(); // report in execution order: dependency before dependant
                return found;
            }
        return null;
    }

    /// <summary>Queued stages that were never handed to a worker and whose dependencies all succeeded.</summary>
    public static IEnumerable<Stage> Runnable(IReadOnlyCollection<Stage> stages)
    {
        var byName = stages.ToDictionary(s => s.Name, StringComparer.Ordinal);
        return stages.Where(s => s.Status == StageStatus.Queued && s.EnqueuedAt is null
            && s.Dependencies.All(d => byName[d].Status == StageStatus.Succeeded));
    }

    /// <summary>Queued stages that can never run because a dependency ended without succeeding (failed, cancelled, skipped, expired).</summary>
    public static IEnumerable<Stage> Unreachable(IReadOnlyCollection<Stage> stages)
    {
        var byName = stages.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var dead = new HashSet<string>(StringComparer.Ordinal);
        bool changed;
        do
        {
            changed = false;
            foreach (var s in stages.Where(s => s.Status == StageStatus.Queued && s.EnqueuedAt is null && !dead.Contains(s.Name)))
            {
                if (s.Dependencies.Any(d => dead.Contains(d) || byName[d].Status is var status && status.IsTerminal() && status != StageStatus.Succeeded))
                {
                    dead.Add(s.Name);
                    changed = true;
                }
            }
        } while (changed);
        return stages.Where(s => dead.Contains(s.Name));
    }

    /// <summary>The build's status once every stage is terminal; null while any stage is still to run.</summary>
    public static BuildStatus? Outcome(IReadOnlyCollection<Stage> stages, bool cancelRequested)
    {
        if (stages.Any(s => !s.Status.IsTerminal())) return null;
        if (stages.All(s => s.Status == StageStatus.Succeeded)) return BuildStatus.Succeeded;
        if (cancelRequested || stages.Any(s => s.Status == StageStatus.Cancelled)) return BuildStatus.Cancelled;
        return BuildStatus.Failed;
    }
}
