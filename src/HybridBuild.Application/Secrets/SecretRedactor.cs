namespace HybridBuild.Application.Secrets;

/// <summary>
/// Passes a stage's progress on with its secrets' values masked: a Dockerfile that prints a secret must not put it
/// into the stored log (defence in depth; BuildKit itself never logs secret values).
/// </summary>
internal sealed class SecretRedactor(IBuildProgress inner, IEnumerable<string> values) : IBuildProgress
{
    private const string Mask = "***";
    // logs arrive line by line, so a multi-line value (a PEM key) or one with a trailing newline is masked line by
    // line; very short values would mask ordinary text, and they are too weak to be worth the noise
    private readonly string[] _values = [.. values
        .SelectMany(v => v.Split('\n').Select(line => line.TrimEnd('\r')).Append(v))
        .Where(v => v.Length >= 4).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];

    public void Step(StepEvent step) => inner.Step(step with { Name = Redact(step.Name), Error = step.Error is null ? null : Redact(step.Error) });

    public void Log(LogLine line) => inner.Log(line with { Text = Redact(line.Text) });

    public string Redact(string text)
    {
        foreach (var value in _values)
            if (text.Contains(value, StringComparison.Ordinal)) text = text.Replace(value, Mask, StringComparison.Ordinal);
        return text;
    }
}
