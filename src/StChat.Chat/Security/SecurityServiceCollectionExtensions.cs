using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace StChat.Chat.Security;

internal static class SecurityServiceCollectionExtensions
{
    // The edge of the chat server, from the Chat options: trusted proxies, the Origin allow-list, the per-address and
    // per-session rate limits and the request body limit. MapStChatChat puts the middleware in order.
    public static IServiceCollection AddStChatSecurity(this IServiceCollection services)
    {
        services.TryAddSingleton<AllowedOrigins>();
        services.AddOptions<ForwardedHeadersOptions>()
            .Configure<IOptions<ChatOptions>>((forwarded, chat) => TrustedProxies.Apply(forwarded, chat.Value.TrustedProxies));
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ChatOptions>>((kestrel, chat) => kestrel.Limits.MaxRequestBodySize = chat.Value.MaxRequestBodyBytes);
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<IOptions<ChatOptions>>((limiter, chat) => ClientRateLimits.Configure(limiter, chat.Value));
        return services;
    }
}
