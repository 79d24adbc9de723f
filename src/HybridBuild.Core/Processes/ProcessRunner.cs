using System.Diagnostics;

namespace HybridBuild.Core.Processes;

/// <summary>The outcome of a finished process: exit code and the tail of its standard error.</summary>
public sealed record ProcessResult(int ExitCode, IReadOnlyList<string> StandardErrorTail);

/// <summary>
/// Runs a command without a shell (arguments are passed as a list), streams its output line by line,
/// and kills the whole process tree when cancelled. The child inherits only the variables
/// <see cref="ChildEnvironment"/> passes on, plus those given in <c>environment</c> (a null value unsets one).
/// </summary>
public static class ProcessRunner
{
    private const int TailLines = 50;

    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        Action<string>? onStandardOutput = null,
        Action<string>? onStandardError = null,
        CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // the service's environment less its secrets; what the caller gives is its own choice (buildx's secrets travel so)
        ChildEnvironment.Scrub(start.Environment);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>()) start.Environment[key] = value;

        using var process = new Process { StartInfo = start };
        var tail = new Queue<string>();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"Could not start '{fileName}': {e.Message}", e);
        }
        process.StandardInput.Close();

        var stdout = PumpAsync(process.StandardOutput, line => onStandardOutput?.Invoke(line));
        var stderr = PumpAsync(process.StandardError, line =>
        {
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > TailLines) tail.Dequeue();
            }
            onStandardError?.Invoke(line);
        });

        await using (cancellationToken.Register(() => Kill(process)))
        {
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(stdout, stderr);
        }
        cancellationToken.ThrowIfCancellationRequested();
        lock (tail) return new ProcessResult(process.ExitCode, [.. tail]);
    }

    private static async Task PumpAsync(StreamReader reader, Action<string> onLine)
    {
        while (await reader.ReadLineAsync() is { } line) onLine(line);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // exited between the check and the kill
        }
    }
}
