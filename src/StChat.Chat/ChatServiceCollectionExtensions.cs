using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StChat.Chat.Accounts;
using StChat.Chat.Security;
using StChat.Messaging;
using StChat.Storage;

namespace StChat.Chat;

public static class ChatServiceCollectionExtensions
{
    /// <summary>
    /// Registers the chat rooms: options from the <c>Chat</c> section (validated on start), the group-commit writer
    /// of <c>chat_log</c>, the in-process fan-out and the WebSocket endpoint used by <see cref="ChatEndpointRouteBuilderExtensions.MapStChatChat"/>.
    /// Also registers the shared PostgreSQL data source and migrations.
    /// </summary>
    public static IServiceCollection AddStChatChat(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddStChatStorage(configuration);
        services.AddOptions<ChatOptions>()
            .Bind(configuration.GetSection(ChatOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatOptions>, ChatOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LocalRoomEventBus>();
        if (configuration.GetSection(ChatOptions.SectionName)["Bus"] == ChatOptions.NatsBus)
        {
            services.AddStChatNats();
            services.TryAddSingleton<NatsRoomEventBus>();
            services.TryAddSingleton<IRoomEventBus>(sp => sp.GetRequiredService<NatsRoomEventBus>());
            services.AddHostedService(sp => sp.GetRequiredService<NatsRoomEventBus>());
            services.TryAddSingleton<Presence.PresenceStore>();
            services.TryAddSingleton<Presence.ClusterPresence>();
            services.AddHostedService(sp => sp.GetRequiredService<Presence.ClusterPresence>());
        }
        else
        {
            services.TryAddSingleton<IRoomEventBus>(sp => sp.GetRequiredService<LocalRoomEventBus>());
        }

        services.TryAddSingleton(sp => new ChatMetrics(
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), sp.GetRequiredService<Accounts.SessionSockets>()));
        services.TryAddSingleton<ChatLogStore>();
        services.TryAddSingleton<ChatLogWriter>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ChatLogWriter>(sp => sp.GetRequiredService<ChatLogWriter>()));
        services.TryAddSingleton<MessagePosting>();
        services.TryAddSingleton<ChatPresence>();
        services.TryAddSingleton<Accounts.SessionSockets>();
        services.TryAddSingleton<Accounts.AccountSockets>();
        services.TryAddSingleton<Conversations.ConversationStore>();
        services.TryAddSingleton<Conversations.ConversationAccess>();
        services.TryAddSingleton<Conversations.ReadMarkers>();
        services.TryAddSingleton<ChatServices>();
        services.TryAddSingleton<ChatEndpoint>();
        services.TryAddSingleton<Conversations.ConversationFilters>();
        services.TryAddSingleton<Conversations.ConversationEndpoints>();
        services.Configure<Microsoft.AspNetCore.Http.Json.JsonOptions>(
            o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, Conversations.ConversationJsonContext.Default));
        services.AddOpenApi();
        services.AddStChatAccounts();
        services.AddStChatSecurity();
        return services;
    }
}
