using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace StChat.Messaging;

public static class MessagingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the process's one <see cref="NatsConnection"/> (also as <see cref="INatsConnection"/>) and a
    /// <see cref="INatsJSContext"/> made from it, configured from the <c>Nats</c> section and validated at start, plus
    /// a hosted service that connects at start and logs connection events. Safe to call from every feature.
    /// </summary>
    public static IServiceCollection AddStChatNats(this IServiceCollection services)
    {
        services.AddOptions<NatsOptions>().BindConfiguration(NatsOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<NatsOptions>, NatsOptionsValidator>());
        services.TryAddSingleton(sp => new NatsConnection(NatsOptsFactory.Create(
            sp.GetRequiredService<IOptions<NatsOptions>>().Value, sp.GetRequiredService<ILoggerFactory>())));
        services.TryAddSingleton<INatsConnection>(sp => sp.GetRequiredService<NatsConnection>());
        services.TryAddSingleton<INatsJSContext>(sp => new NatsJSContext(sp.GetRequiredService<NatsConnection>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NatsConnectionMonitor>());
        return services;
    }
}
