using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using StChat.Nats.JetStream.Internal;

namespace StChat.Nats.JetStream;

/// <summary>
/// JetStream over a <see cref="NatsConnection"/>: streams, durable pull consumers, acknowledged publishing
/// and fetching batches. API calls fail with <see cref="NatsJSApiException"/> when the server answers with an
/// error, and with <see cref="NatsJSException"/> when JetStream is not enabled or not reachable.
/// </summary>
public sealed partial class NatsJSContext
{
    private readonly NatsConnection _connection;
    private readonly string _apiPrefix;
    private readonly TimeSpan _requestTimeout;
    private readonly ILogger _logger;

    /// <summary>Creates a JetStream context over an existing connection.</summary>
    /// <param name="connection">Connection the API requests, publishes and fetches go through.</param>
    /// <param name="opts">Options; <see cref="NatsJSOpts.Default"/> when null.</param>
    public NatsJSContext(NatsConnection connection, NatsJSOpts? opts = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        opts ??= NatsJSOpts.Default;
        ArgumentException.ThrowIfNullOrWhiteSpace(opts.ApiPrefix, nameof(opts));
        _connection = connection;
        _apiPrefix = opts.ApiPrefix.TrimEnd('.');
        _requestTimeout = opts.RequestTimeout ?? connection.Opts.RequestTimeout;
        _logger = connection.Opts.LoggerFactory.CreateLogger<NatsJSContext>();
    }

    // Sends one API request and turns the reply into a result, an API error or a "JetStream unavailable" error.
    private async ValueTask<T> RequestApiAsync<T>(string subject, byte[]? body, JsonTypeInfo<T> replyType, CancellationToken ct)
    {
        NatsMsg reply;
        try
        {
            reply = await _connection.RequestAsync(subject, body, timeout: _requestTimeout, ct: ct);
        }
        catch (NatsNoRespondersException ex)
        {
            throw new NatsJSException(
                $"JetStream is not enabled on the server, or not available to this account: nothing answered {subject}. " +
                "Start nats-server with JetStream (-js) or grant the account JetStream.",
                ex);
        }

        return ApiReply.Parse(reply.Data.Span, replyType, subject);
    }

    // The connected server's version, connecting first when nothing is known yet; null when it does not parse.
    private async ValueTask<Version?> GetServerVersionAsync(CancellationToken ct)
    {
        if (_connection.ServerInfo is null)
        {
            await _connection.ConnectAsync(ct);
        }

        var text = _connection.ServerInfo?.Version;
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var end = text.IndexOfAny(['-', '+']);
        return Version.TryParse(end < 0 ? text : text[..end], out var version) ? version : null;
    }
}
