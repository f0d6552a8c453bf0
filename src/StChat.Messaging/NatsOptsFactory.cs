using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace StChat.Messaging;

/// <summary>Turns validated <see cref="NatsOptions"/> into the client's <see cref="NatsOpts"/>.</summary>
internal static class NatsOptsFactory
{
    public static NatsOpts Create(NatsOptions options, ILoggerFactory loggerFactory)
    {
        var servers = NatsUrl.TryParse(options.Url, out var error)
            ?? throw new InvalidOperationException(error);
        return new NatsOpts
        {
            Url = servers.Urls,
            Name = WorkerIdentity.ClientName(options.Name),
            LoggerFactory = loggerFactory,
            AuthOpts = new NatsAuthOpts
            {
                Username = options.User ?? servers.User,
                Password = Secret.FromFile(options.PasswordFile) ?? options.Password ?? servers.Password,
                Token = Secret.FromFile(options.TokenFile) ?? options.Token ?? servers.Token,
                NKeyFile = options.NKeySeedFile,
                CredsFile = options.CredsFile,
            },
            TlsOpts = new NatsTlsOpts
            {
                CaFile = options.Tls.CaFile,
                CertFile = options.Tls.CertFile,
                KeyFile = options.Tls.KeyFile,
                Mode = options.Tls.Mode,
            },
            PingInterval = options.PingInterval,
            ReconnectWaitMin = options.ReconnectWait,
            ReconnectWaitMax = options.ReconnectWaitMax,
            MaxReconnectRetry = options.MaxReconnectAttempts,

            // Without it a publish (an ack is one) waits for as long as the server is away; with it the publish fails
            // after CommandTimeout and the caller decides.
            PublishTimeoutOnDisconnected = true,

            // Without it dispose closes the socket first and drops whatever is still queued, acks included.
            DrainSubscriptionsOnDispose = true,
        };
    }
}
