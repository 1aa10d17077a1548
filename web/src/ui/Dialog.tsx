import * as RadixDialog from "@radix-ui/react-dialog";
import type { ReactNode } from "react";

/**
 * A modal dialog (Radix: focus trap, Escape to close, focus returns to the trigger, labelled by its
 * title). `trigger` is the button that opens it; control it with open/onOpenChange to close it on success.
 */
export function Dialog(props: {
  trigger: ReactNode;
  title: string;
  description?: string;
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
  children: ReactNode;
}) {
  return (
    <RadixDialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <RadixDialog.Trigger asChild>{props.trigger}</RadixDialog.Trigger>
      <RadixDialog.Portal>
        <RadixDialog.Overlay className="dialog-overlay" />
        <RadixDialog.Content className="dialog">
          <RadixDialog.Title>{props.title}</RadixDialog.Title>
          {props.description ? (
            <RadixDialog.Description className="muted">{props.description}</RadixDialog.Description>
          ) : (
            <RadixDialog.Description className="visually-hidden">{props.title}</RadixDialog.Description>
          )}
          {props.children}
          <RadixDialog.Close asChild>
            <button type="button" className="button subtle dialog-close" aria-label="Close">
              ✕
            </button>
          </RadixDialog.Close>
        </RadixDialog.Content>
      </RadixDialog.Portal>
    </RadixDialog.Root>
  );
}
