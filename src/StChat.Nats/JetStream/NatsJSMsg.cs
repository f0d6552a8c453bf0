using StChat.Nats.JetStream.Internal;

namespace StChat.Nats.JetStream;

/// <summary>
/// A message delivered by a JetStream consumer, with the operations that acknowledge it through its
/// <c>$JS.ACK</c> reply subject.
/// </summary>
public readonly struct NatsJSMsg
{
    private readonly NatsMsg _msg;
    private readonly NatsConnection? _connection;
    private readonly TimeSpan _ackTimeout;

    internal NatsJSMsg(in NatsMsg msg, NatsConnection connection, TimeSpan ackTimeout)
    {
        _msg = msg;
        _connection = connection;
        _ackTimeout = ackTimeout;
        Metadata = AckMetadataParser.Parse(msg.ReplyTo);
    }

    /// <summary>Subject the message was published to.</summary>
    public string Subject => _msg.Subject;

    /// <summary>Headers, or null for a message published without any.</summary>
    public NatsHeaders? Headers => _msg.Headers;

    /// <summary>Payload.</summary>
    public ReadOnlyMemory<byte> Data => _msg.Data;

    /// <summary>The <c>$JS.ACK</c> subject acknowledgements are sent to.</summary>
    public string? ReplyTo => _msg.ReplyTo;

    /// <summary>Delivery facts parsed from <see cref="ReplyTo"/>; null when it is not a JetStream ack subject.</summary>
    public NatsJSMsgMetadata? Metadata { get; }

    /// <summary>Acknowledges the message (<c>+ACK</c>) without waiting for the server.</summary>
    public ValueTask AckAsync(CancellationToken ct = default) => SendAsync(AckPayloads.Ack, ct);

    /// <summary>
    /// Acknowledges the message and waits until the server confirms it has recorded the acknowledgement.
    /// </summary>
    /// <exception cref="NatsTimeoutException">The server did not confirm within the JetStream request timeout.</exception>
    public async ValueTask DoubleAckAsync(CancellationToken ct = default)
    {
        var (connection, replyTo) = Target();
        try
        {
            await connection.RequestAsync(replyTo, AckPayloads.Ack, timeout: _ackTimeout, ct: ct);
        }
        catch (NatsNoRespondersException ex)
        {
            throw new NatsJSException(
                $"The acknowledgement on {replyTo} was not confirmed: its consumer no longer exists.", ex);
        }
    }

    /// <summary>
    /// Tells the server the message was not processed (<c>-NAK</c>), so it is delivered again;
    /// after <paramref name="delay"/> when it is positive, otherwise at once.
    /// </summary>
    public ValueTask NakAsync(TimeSpan delay = default, CancellationToken ct = default) =>
        SendAsync(delay > TimeSpan.Zero ? AckPayloads.NakWithDelay(delay) : AckPayloads.Nak, ct);

    /// <summary>Tells the server never to deliver the message again (<c>+TERM</c>).</summary>
    public ValueTask AckTerminateAsync(CancellationToken ct = default) => SendAsync(AckPayloads.Term, ct);

    /// <summary>Tells the server the message is still being worked on (<c>+WPI</c>), restarting its ack wait.</summary>
    public ValueTask AckProgressAsync(CancellationToken ct = default) => SendAsync(AckPayloads.InProgress, ct);

    private ValueTask SendAsync(byte[] payload, CancellationToken ct)
    {
        var (connection, replyTo) = Target();
        return connection.PublishAsync(replyTo, payload, ct: ct);
    }

    private (NatsConnection Connection, string ReplyTo) Target()
    {
        if (_connection is null || _msg.ReplyTo is null)
        {
            throw new InvalidOperationException(
                "The message has no reply subject to acknowledge on; only messages delivered by a JetStream consumer can be acknowledged.");
        }

        return (_connection, _msg.ReplyTo);
    }
}
