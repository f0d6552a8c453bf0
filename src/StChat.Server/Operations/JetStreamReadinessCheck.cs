using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using StChat.Ingest;

namespace StChat.Server.Operations;

/// <summary>The ingest stream and its durable consumer exist on the broker.</summary>
internal sealed class JetStreamReadinessCheck(INatsJSContext js, IOptions<IngestOptions> options) : ReadinessProbe
{
    // JetStream's err_codes for a missing stream and a missing consumer.
    private const int StreamNotFound = 10059;
    private const int ConsumerNotFound = 10014;

    private readonly IngestOptions _options = options.Value;

    protected override string NoAnswer => "JetStream did not answer";

    protected override async Task<HealthCheckResult> ProbeAsync(CancellationToken ct)
    {
        try
        {
            var consumer = await js.GetConsumerAsync(_options.Stream, _options.Consumer, ct);
            return HealthCheckResult.Healthy(
                $"Stream {_options.Stream} and consumer {_options.Consumer} exist ({consumer.Info.NumPending} message(s) pending).");
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == StreamNotFound)
        {
            return HealthCheckResult.Unhealthy($"Stream {_options.Stream} does not exist (yet).");
        }
        catch (NatsJSApiException e) when (e.Error.ErrCode == ConsumerNotFound)
        {
            return HealthCheckResult.Unhealthy($"Consumer {_options.Consumer} of stream {_options.Stream} does not exist (yet).");
        }
        catch (NatsException e) when (!ct.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"JetStream did not answer: {e.Message}");
        }
    }
}
