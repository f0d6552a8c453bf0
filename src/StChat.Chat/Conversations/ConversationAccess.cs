using Microsoft.Extensions.Options;
using StChat.Chat.Accounts;

namespace StChat.Chat.Conversations;

// The one check of who may read and write a conversation, used by every WebSocket URL, subscribe and REST path:
// public rooms anyone (signed in, or anonymous unless Chat:AllowAnonymous is false); direct and group conversations
// only their members. Callers answer "no" with 404 (or not_found), whether the conversation exists or not.
internal sealed class ConversationAccess(ConversationStore store, IRoomEventBus bus, IOptions<ChatOptions> options)
{
    private readonly bool _allowAnonymous = options.Value.AllowAnonymous;

    public async Task<bool> CanAccessAsync(AccountUser? user, ConversationKey key, CancellationToken ct)
    {
        switch (key.Kind)
        {
            case ConversationKind.Public:
                return user is not null || _allowAnonymous;
            case ConversationKind.Direct when user is not null:
                // Either of the two accounts may open it first; anyone else is not one of them.
                var other = key.OtherParticipant(user.Name);
                if (ConversationKey.Direct(user.Name, other) != key)
                {
                    return false;
                }

                return await store.IsMemberAsync(key, user.Id, ct) || await OpenDirectAsync(user, other, ct) is not null;
            case ConversationKind.Group when user is not null:
                return await store.IsMemberAsync(key, user.Id, ct);
            default:
                return false;
        }
    }

    // The direct conversation with `otherName`, created on first use (then both accounts' sockets are told); null when
    // there is no such account.
    public async Task<DirectConversation?> OpenDirectAsync(AccountUser me, string otherName, CancellationToken ct)
    {
        var direct = await store.OpenDirectAsync(me, otherName, ct);
        if (direct is { Created: true })
        {
            Announce(direct.Key, title: null, [direct.Me, direct.Other], [direct.Me, direct.Other]);
        }

        return direct;
    }

    // {"action":"conversation"} to every socket of the accounts in `to`: they are members of `key` now.
    public void Announce(ConversationKey key, string? title, IReadOnlyList<Account> members, IEnumerable<Account> to)
    {
        var frame = ChatFrames.Conversation(key, title, members.Select(m => m.Name).ToArray());
        foreach (var account in to)
        {
            bus.PublishToAccount(account.Id, frame);
        }
    }
}
