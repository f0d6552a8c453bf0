using System.Text.Json;
using StChat.Nats.JetStream.Internal;

namespace StChat.Nats.JetStream;

public sealed partial class NatsJSContext
{
    /// <summary>
    /// Creates the stream, or updates it when a stream of that name exists with another configuration.
    /// Re-creating with the same configuration changes nothing.
    /// </summary>
    /// <returns>The stream as the server now has it.</returns>
    public async ValueTask<StreamInfo> CreateOrUpdateStreamAsync(StreamConfig config, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        ApiNames.Validate(config.Name, nameof(config), "stream");
        var body = JsonSerializer.SerializeToUtf8Bytes(ToWire(config), JetStreamJsonContext.Default.StreamConfig);
        try
        {
            return await RequestApiAsync($"{_apiPrefix}.STREAM.CREATE.{config.Name}", body, JetStreamJsonContext.Default.StreamInfo, ct);
        }
        catch (NatsJSApiException ex) when (ex.ErrCode == ApiErrorCodes.StreamNameInUse)
        {
            // The name exists with a different configuration: fall through to an update.
        }

        return await RequestApiAsync($"{_apiPrefix}.STREAM.UPDATE.{config.Name}", body, JetStreamJsonContext.Default.StreamInfo, ct);
    }

    /// <summary>Gets a stream's configuration and state.</summary>
    /// <exception cref="NatsJSApiException">Code 404, err_code 10059 when the stream does not exist.</exception>
    public ValueTask<StreamInfo> GetStreamAsync(string stream, CancellationToken ct = default)
    {
        ApiNames.Validate(stream, nameof(stream), "stream");
        return RequestApiAsync($"{_apiPrefix}.STREAM.INFO.{stream}", null, JetStreamJsonContext.Default.StreamInfo, ct);
    }

    /// <summary>Deletes a stream with its messages and consumers.</summary>
    /// <exception cref="NatsJSApiException">Code 404, err_code 10059 when the stream does not exist.</exception>
    public async ValueTask DeleteStreamAsync(string stream, CancellationToken ct = default)
    {
        ApiNames.Validate(stream, nameof(stream), "stream");
        var subject = $"{_apiPrefix}.STREAM.DELETE.{stream}";
        var reply = await RequestApiAsync(subject, null, JetStreamJsonContext.Default.SuccessReply, ct);
        if (!reply.Success)
        {
            throw new NatsJSException($"The server did not confirm the deletion of stream {stream} ({subject}).");
        }
    }

    // The server shortens its default duplicate window to max_age but refuses an explicit longer one;
    // doing the same here keeps the default usable with short-lived streams.
    internal static StreamConfig ToWire(StreamConfig config) =>
        config.MaxAge > TimeSpan.Zero && config.DuplicateWindow > config.MaxAge
            ? config with { DuplicateWindow = config.MaxAge }
            : config;
}
