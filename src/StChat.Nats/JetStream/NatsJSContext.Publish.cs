using System.Text.Json;
using StChat.Nats.JetStream.Internal;

namespace StChat.Nats.JetStream;

public sealed partial class NatsJSContext
{
    private const string MsgIdHeader = "Nats-Msg-Id";

    /// <summary>
    /// Publishes a message to a stream subject and waits for the stream's acknowledgement.
    /// </summary>
    /// <param name="subject">Subject a stream stores.</param>
    /// <param name="data">Payload.</param>
    /// <param name="msgId">
    /// Sent as <c>Nats-Msg-Id</c>: a second publish with the same id within the stream's duplicate window
    /// is not stored again and is acknowledged with <see cref="PubAckResponse.Duplicate"/> set.
    /// </param>
    /// <param name="headers">Headers to send; not modified.</param>
    /// <param name="ct">Cancels the wait for the acknowledgement.</param>
    /// <exception cref="NatsJSApiException">The stream refused the message.</exception>
    /// <exception cref="NatsJSException">No stream stores the subject, or JetStream is not enabled.</exception>
    public async ValueTask<PubAckResponse> PublishAsync(
        string subject,
        ReadOnlyMemory<byte> data,
        string? msgId = null,
        NatsHeaders? headers = null,
        CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject);
        if (msgId is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(msgId);
            headers = WithMsgId(headers, msgId);
        }

        NatsMsg reply;
        try
        {
            reply = await _connection.RequestAsync(subject, data, headers, _requestTimeout, ct);
        }
        catch (NatsNoRespondersException ex)
        {
            throw new NatsJSException(
                $"Nothing acknowledged the publish to {subject}: no stream stores that subject, or JetStream is not enabled.", ex);
        }

        return ParsePubAck(reply.Data.Span, subject);
    }

    // pub-ack = {"stream":string,"seq":uint64[,"duplicate":bool][,"domain":string]} | {"error":{...}}
    internal static PubAckResponse ParsePubAck(ReadOnlySpan<byte> json, string subject)
    {
        PubAckReply? ack;
        try
        {
            ack = JsonSerializer.Deserialize(json, JetStreamJsonContext.Default.PubAckReply);
        }
        catch (JsonException ex)
        {
            throw new NatsJSException($"The acknowledgement of the publish to {subject} is not valid JSON: {ex.Message}", ex);
        }

        if (ack?.Error is { } error)
        {
            throw ApiReply.ToException(error);
        }

        if (ack?.Stream is not { Length: > 0 } stream)
        {
            throw new NatsJSException($"The acknowledgement of the publish to {subject} names no stream.");
        }

        return new PubAckResponse(stream, ack.Seq, ack.Duplicate, string.IsNullOrEmpty(ack.Domain) ? null : ack.Domain);
    }

    // Copies rather than mutates the caller's headers, which may be reused for other publishes.
    private static NatsHeaders WithMsgId(NatsHeaders? headers, string msgId)
    {
        var copy = new NatsHeaders();
        if (headers is not null)
        {
            foreach (var (key, value) in headers)
            {
                if (!string.Equals(key, MsgIdHeader, StringComparison.OrdinalIgnoreCase))
                {
                    copy.Add(key, value);
                }
            }
        }

        copy.Add(MsgIdHeader, msgId);
        return copy;
    }
}
