namespace HybridBuild.Publishing.Oci;

/// <summary>Text from an upstream response made safe to quote in an error: no control characters, and short.</summary>
internal static class Printable
{
    public static string Clip(string text, int length)
    {
        var clean = new string(text.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return clean.Length > length ? clean[..length] + "..." : clean;
    }
}
