namespace HybridBuild.Cli.Commands;

/// <summary>A command line that cannot be carried out as written: printed as <c>error: …</c>, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
