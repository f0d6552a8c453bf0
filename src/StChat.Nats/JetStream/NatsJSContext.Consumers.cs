using System.Text.Json;
using StChat.Nats.JetStream.Internal;

namespace StChat.Nats.JetStream;

public sealed partial class NatsJSContext
{
    private static readonly Version ConsumerCreateWithNameVersion = new(2, 9);
    private static readonly Version FilterSubjectsVersion = new(2, 10);

    /// <summary>
    /// Creates a pull consumer, or updates the durable consumer of that name. The server applies the changes
    /// it allows in place (ack wait, max deliver, max ack pending, filter subject, ...) and answers changes it
    /// does not allow, such as the deliver policy, with a <see cref="NatsJSApiException"/>.
    /// </summary>
    /// <param name="stream">Stream the consumer reads.</param>
    /// <param name="config">Consumer configuration; a null <see cref="ConsumerConfig.DurableName"/> creates an ephemeral consumer.</param>
    /// <param name="ct">Cancels the wait for the reply.</param>
    /// <returns>The consumer as the server now has it.</returns>
    public async ValueTask<ConsumerInfo> CreateOrUpdateConsumerAsync(string stream, ConsumerConfig config, CancellationToken ct = default)
    {
        ApiNames.Validate(stream, nameof(stream), "stream");
        ArgumentNullException.ThrowIfNull(config);
        if (config.DurableName is not null)
        {
            ApiNames.Validate(config.DurableName, nameof(config), "consumer");
        }

        var wire = config.FilterSubjects is { Count: > 0 } ? config : config with { FilterSubjects = null };
        var version = await GetServerVersionAsync(ct);
        if (wire.FilterSubjects is not null && version is not null && version < FilterSubjectsVersion)
        {
            throw new NatsJSException(
                $"Consumer filter_subjects needs nats-server {FilterSubjectsVersion} or later; this server is {version}. " +
                "Use FilterSubject with a single subject instead.");
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new ConsumerCreateRequest(stream, wire), JetStreamJsonContext.Default.ConsumerCreateRequest);
        var subject = ConsumerCreateSubject(stream, wire, version);
        var info = await RequestApiAsync(subject, body, JetStreamJsonContext.Default.ConsumerInfo, ct);
        if (wire.FilterSubjects is not null && info.Config.FilterSubjects is not { Count: > 0 })
        {
            // A server that does not know the field ignores it and delivers every subject of the stream.
            throw new NatsJSException(
                $"The server ignored filter_subjects of consumer {info.Name} on stream {stream}, so it is not filtered; " +
                $"filter_subjects needs nats-server {FilterSubjectsVersion} or later.");
        }

        return info;
    }

    /// <summary>Gets a consumer's configuration and progress.</summary>
    /// <exception cref="NatsJSApiException">Code 404, err_code 10014 when the consumer does not exist (10059 for the stream).</exception>
    public ValueTask<ConsumerInfo> GetConsumerAsync(string stream, string consumer, CancellationToken ct = default)
    {
        ApiNames.Validate(stream, nameof(stream), "stream");
        ApiNames.Validate(consumer, nameof(consumer), "consumer");
        return RequestApiAsync($"{_apiPrefix}.CONSUMER.INFO.{stream}.{consumer}", null, JetStreamJsonContext.Default.ConsumerInfo, ct);
    }

    // ephemeral = prefix ".CONSUMER.CREATE." stream
    // named     = prefix ".CONSUMER.CREATE." stream "." name [ "." literal-filter-subject ]    (server 2.9+)
    // legacy    = prefix ".CONSUMER.DURABLE.CREATE." stream "." name                          (before 2.9)
    // The filter token lets account permissions be scoped per filter; the server refuses wildcard subjects there.
    private string ConsumerCreateSubject(string stream, ConsumerConfig config, Version? serverVersion)
    {
        if (config.DurableName is null)
        {
            return $"{_apiPrefix}.CONSUMER.CREATE.{stream}";
        }

        if (serverVersion is not null && serverVersion < ConsumerCreateWithNameVersion)
        {
            return $"{_apiPrefix}.CONSUMER.DURABLE.CREATE.{stream}.{config.DurableName}";
        }

        return config.FilterSubject is { Length: > 0 } filter && config.FilterSubjects is null && ApiNames.IsLiteralSubject(filter)
            ? $"{_apiPrefix}.CONSUMER.CREATE.{stream}.{config.DurableName}.{filter}"
            : $"{_apiPrefix}.CONSUMER.CREATE.{stream}.{config.DurableName}";
    }
}
