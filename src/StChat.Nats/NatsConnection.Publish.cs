using System.Buffers;
using System.Text;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    /// <summary>
    /// Publishes a message. While reconnecting the command is buffered (up to <see cref="NatsOpts.ReconnectBufferSize"/>)
    /// and sent after the new connection has re-subscribed.
    /// </summary>
    /// <exception cref="NatsPayloadTooLargeException">Headers plus payload exceed the server's max_payload.</exception>
    /// <exception cref="NatsReconnectBufferFullException">Disconnected and the reconnect buffer is full.</exception>
    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> data = default, NatsHeaders? headers = null, string? replyTo = null, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        if (_state is NatsConnectionState.Open or NatsConnectionState.Reconnecting)
        {
            PublishCore(subject, replyTo, headers, data.Span);
            return WaitForWriterRoomAsync(ct);
        }

        return ConnectThenPublishAsync(subject, data, headers, replyTo, ct);
    }

    /// <summary>Publishes <paramref name="data"/> encoded as UTF-8.</summary>
    public ValueTask PublishAsync(string subject, string data, NatsHeaders? headers = null, string? replyTo = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ct.ThrowIfCancellationRequested();
        if (_state is NatsConnectionState.Open or NatsConnectionState.Reconnecting)
        {
            PublishUtf8(subject, data, headers, replyTo);
            return WaitForWriterRoomAsync(ct);
        }

        return ConnectThenPublishUtf8Async(subject, data, headers, replyTo, ct);
    }

    // Backpressure while connected: the command is already queued; the caller waits until the socket catches up.
    // While reconnecting the reconnect buffer's limit applies instead, so there is nothing to wait for here.
    private ValueTask WaitForWriterRoomAsync(CancellationToken ct)
    {
        if (_state != NatsConnectionState.Open)
        {
            return default;
        }

        var wait = _writer.WaitForRoom(Opts.WriterBufferSize);
        return wait is null ? default : new ValueTask(wait.WaitAsync(ct));
    }

    private async ValueTask ConnectThenPublishAsync(string subject, ReadOnlyMemory<byte> data, NatsHeaders? headers, string? replyTo, CancellationToken ct)
    {
        await ConnectAsync(ct);
        PublishCore(subject, replyTo, headers, data.Span);
    }

    private async ValueTask ConnectThenPublishUtf8Async(string subject, string data, NatsHeaders? headers, string? replyTo, CancellationToken ct)
    {
        await ConnectAsync(ct);
        PublishUtf8(subject, data, headers, replyTo);
    }

    private void PublishUtf8(string subject, string data, NatsHeaders? headers, string? replyTo)
    {
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(data.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(data, rented);
            PublishCore(subject, replyTo, headers, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // Size is checked before anything reaches the command pipe so an oversized message never half-writes.
    private void PublishCore(string subject, string? replyTo, NatsHeaders? headers, ReadOnlySpan<byte> payload)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        var headersLength = headers is null ? 0 : HeaderCodec.GetEncodedLength(headers);
        var maxPayload = ServerInfo?.MaxPayload ?? long.MaxValue;
        if (headersLength + (long)payload.Length > maxPayload)
        {
            throw new NatsPayloadTooLargeException(
                $"Message to '{subject}' is {headersLength + (long)payload.Length} bytes (headers {headersLength}, payload {payload.Length}) but the server's max_payload is {maxPayload} bytes.");
        }

        var limit = _state == NatsConnectionState.Open ? -1 : Opts.ReconnectBufferSize;
        _writer.Publish(subject, replyTo, headers, headersLength, payload, limit);
    }
}
