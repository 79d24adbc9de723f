namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// What is left of a destination's <see cref="ReceiveLimits"/>. A multi-platform export arrives as one stream per
/// platform, each received on its own; they share one budget, so together they stay within the destination's limits.
/// </summary>
internal sealed class ReceiveBudget(ReceiveLimits limits)
{
    private long _entries;
    private long _declaredBytes;
    private long _receivedBytes;

    public void TakeEntry()
    {
        if (Interlocked.Increment(ref _entries) > limits.MaxEntries)
            throw new FileTransferException($"The export has more than {limits.MaxEntries} entries, the limit for this destination.");
    }

    /// <summary>The sizes the listing announces: refuses an export that is too large before its content arrives.</summary>
    public void TakeDeclaredBytes(long bytes) => Take(ref _declaredBytes, bytes);

    /// <summary>The content actually written, whatever the listing announced.</summary>
    public void TakeReceivedBytes(long bytes) => Take(ref _receivedBytes, bytes);

    private void Take(ref long counter, long bytes)
    {
        // Sizes come from the daemon: one near long.MaxValue must not wrap the sum below the limit.
        if (bytes > limits.MaxBytes || Interlocked.Add(ref counter, bytes) is var total && (total > limits.MaxBytes || total < 0))
            throw FileTransferException.TooLarge(limits.MaxBytes);
    }
}
