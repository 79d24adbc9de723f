namespace HybridBuild.BuildKit.Client.Transport.Http2;

/// <summary>
/// Flow control both ways (RFC 9113 §5.2, §6.9): the peer's windows that our DATA spends, and the credit we return
/// for what our reader has consumed.
/// </summary>
internal sealed partial class Http2Tunnel
{
    private readonly Lock _windowLock = new();
    private long _connectionSendWindow = Http2Frame.DefaultWindowSize;
    private long _streamSendWindow = Http2Frame.DefaultWindowSize;
    private int _peerInitialWindow = Http2Frame.DefaultWindowSize;
    private int _peerMaxFrameSize = Http2Frame.DefaultMaxFrameSize;
    private TaskCompletionSource _windowOpened = NewSignal();
    private readonly int _receiveWindow;
    private readonly int _creditThreshold;
    private readonly Lock _creditLock = new();
    private long _pendingConnectionCredit;
    private long _pendingStreamCredit;

    /// <summary>Waits until both windows are open, then takes up to one frame's worth of them.</summary>
    private async ValueTask<int> ReserveSendWindowAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task opened;
            lock (_windowLock)
            {
                if (_endReason is not null)
                {
                    throw Ended();
                }
                long available = Math.Min(_connectionSendWindow, _streamSendWindow);
                if (available > 0)
                {
                    int size = (int)Math.Min(Math.Min(available, wanted), Math.Min(_peerMaxFrameSize, MaxOutboundFrame));
                    _connectionSendWindow -= size;
                    _streamSendWindow -= size;
                    return size;
                }
                opened = _windowOpened.Task;
            }
            await opened.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void SignalWindow()
    {
        TaskCompletionSource opened;
        lock (_windowLock)
        {
            opened = _windowOpened;
            _windowOpened = NewSignal();
        }
        opened.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void ApplySetting(ushort id, uint value)
    {
        lock (_windowLock)
        {
            switch (id)
            {
                case Http2Frame.SettingInitialWindowSize when value > Http2Frame.MaxWindowSize:
                    throw new Http2ProtocolException("an INITIAL_WINDOW_SIZE above 2^31-1");
                case Http2Frame.SettingInitialWindowSize:
                    // A new initial size shifts the window of open streams by the difference (§6.9.2), possibly below zero.
                    _streamSendWindow += (int)value - _peerInitialWindow;
                    _peerInitialWindow = (int)value;
                    break;
                case Http2Frame.SettingMaxFrameSize when value is < Http2Frame.DefaultMaxFrameSize or > 16_777_215:
                    throw new Http2ProtocolException($"a MAX_FRAME_SIZE of {value}");
                case Http2Frame.SettingMaxFrameSize:
                    _peerMaxFrameSize = (int)value;
                    break;
            }
        }
    }

    private void OnWindowUpdate(Http2Frame frame, uint increment)
    {
        if (frame.StreamId != 0 && frame.StreamId != StreamId)
        {
            return;
        }
        if (increment == 0)
        {
            throw new Http2ProtocolException("a WINDOW_UPDATE of zero");
        }
        lock (_windowLock)
        {
            ref long window = ref frame.StreamId == 0 ? ref _connectionSendWindow : ref _streamSendWindow;
            window += increment;
            if (window > Http2Frame.MaxWindowSize)
            {
                throw new Http2ProtocolException("a WINDOW_UPDATE beyond 2^31-1");
            }
        }
        SignalWindow();
    }

    /// <summary>Gives the peer back window for bytes we are done with, in batches of a quarter window.</summary>
    private async ValueTask CreditAsync(long bytes, bool includeStream)
    {
        long connectionCredit, streamCredit;
        lock (_creditLock)
        {
            _pendingConnectionCredit += bytes;
            _pendingStreamCredit += includeStream ? bytes : 0;
            // Once the peer ended the stream nothing more will arrive, so no window needs reopening.
            if (_remoteEnded || Volatile.Read(ref _endReason) is not null
                || (_pendingConnectionCredit < _creditThreshold && _pendingStreamCredit < _creditThreshold))
            {
                return;
            }
            (connectionCredit, streamCredit) = (_pendingConnectionCredit, _pendingStreamCredit);
            (_pendingConnectionCredit, _pendingStreamCredit) = (0, 0);
        }
        byte[] frames = new byte[2 * (Http2Frame.HeaderSize + 4)];
        int length = Http2Frame.WriteUInt32Frame(frames, Http2FrameType.WindowUpdate, 0, (uint)connectionCredit);
        if (streamCredit > 0)
        {
            length += Http2Frame.WriteUInt32Frame(frames.AsSpan(length), Http2FrameType.WindowUpdate, StreamId, (uint)streamCredit);
        }
        try
        {
            await WriteFramesAsync(frames.AsMemory(0, length)).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The tunnel has ended (WriteFramesAsync recorded why); the data already read is still valid.
        }
    }
}
