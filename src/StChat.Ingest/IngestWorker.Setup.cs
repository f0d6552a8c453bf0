using Microsoft.Extensions.Logging;
using Npgsql;
using StChat.Contracts;
using StChat.Nats;
using StChat.Nats.JetStream;

namespace StChat.Ingest;

internal sealed partial class IngestWorker
{
    internal static StreamConfig StreamConfigFor(IngestOptions options) => new()
    {
        Name = options.Stream,
        Subjects = FeedSubjects.All,
        Storage = StreamStorage.File,
        Retention = StreamRetention.Limits,
        MaxAge = options.MaxAge,
        MaxBytes = options.MaxBytes,
        MaxMsgs = options.MaxMsgs,
        DuplicateWindow = options.DuplicateWindow,
    };

    // No filter: one consumer reads both subjects, in stream order.
    internal static ConsumerConfig ConsumerConfigFor(IngestOptions options) => new()
    {
        DurableName = options.Consumer,
        AckPolicy = AckPolicy.Explicit,
        AckWait = options.AckWait,
        MaxAckPending = options.MaxAckPending,
        DeliverPolicy = DeliverPolicy.All,
    };

    // Creates or updates the stream and the durable consumer. The broker being away is retried; the broker refusing
    // the configuration is not, because only a person can fix it.
    private async Task EnsureStreamAndConsumerAsync(CancellationToken ct)
    {
        var backoff = new RetryBackoff(_options.RetryMinDelay, _options.RetryMaxDelay);
        while (true)
        {
            try
            {
                var stream = await _js.CreateOrUpdateStreamAsync(StreamConfigFor(_options), ct);
                await incarnation.CheckAsync(_options.Stream, stream.Created, ct);
                await _js.CreateOrUpdateConsumerAsync(_options.Stream, ConsumerConfigFor(_options), ct);
                logger.LogInformation(
                    "Consuming stream {Stream} (subjects {Subjects}) through durable consumer {Consumer}, batches of {BatchSize}",
                    _options.Stream, string.Join(", ", FeedSubjects.All), _options.Consumer, _options.BatchSize);
                return;
            }
            catch (NatsJSApiException e) when (e.Code != 503)
            {
                throw new InvalidOperationException(
                    $"JetStream refused stream '{_options.Stream}' or consumer '{_options.Consumer}': {e.Description} " +
                    $"(code {e.Code}, err_code {e.ErrCode}). If the existing stream or consumer was created with other " +
                    "settings, change Ingest:Stream / Ingest:Consumer or delete them with `nats stream rm` / " +
                    "`nats consumer rm`; if another stream already captures the feed subjects, remove that stream.", e);
            }
            catch (NpgsqlException e)
            {
                var delay = backoff.NextDelay();
                logger.LogWarning(
                    "Checking stream {Stream} against the catalogue failed (attempt {Attempt}): {Error}; retrying in {Delay:0.0} s",
                    _options.Stream, backoff.Attempt, e.Message, delay.TotalSeconds);
                await Task.Delay(delay, ct);
            }
            catch (NatsException e)
            {
                var delay = backoff.NextDelay();
                var hint = e is NatsNoRespondersException
                    ? " (no JetStream answered: is nats-server running with JetStream enabled, `nats-server -js`?)"
                    : "";
                logger.LogWarning(
                    "Setting up stream {Stream} and consumer {Consumer} failed (attempt {Attempt}): {Error}{Hint}; retrying in {Delay:0.0} s",
                    _options.Stream, _options.Consumer, backoff.Attempt, e.Message, hint, delay.TotalSeconds);
                await Task.Delay(delay, ct);
            }
        }
    }
}
