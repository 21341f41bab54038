/**
 * The web helpers, one door for every area's routes and pages: the page shell, the viewer and the actor,
 * forms with errors beside their fields, toasts, the guards and the error pages. (docs/architecture.md,
 * "How to add a web page".)
 */
export {
  AppIcon,
  appIconHtml,
  Breadcrumb,
  bytes,
  Csrf,
  Empty,
  escapeHtml,
  inState,
  PostButton,
  render,
  StatusBadge,
  Switch,
  statusBadgeHtml,
  statusLabel,
  Table,
  Toast,
  ToastPartial,
  when,
} from "./components.tsx";
export { browserNotFound, errorPage, wantsPage } from "./errors.tsx";
export {
  confirmation,
  type FieldErrors,
  FieldMessage,
  FormMessage,
  type FormProps,
  fieldAria,
  fieldErrorsOf,
  formNumber,
  formResources,
  InputField,
  messageId,
  parsed,
  parsedWith,
  ResourceFields,
  SelectField,
  SwapForm,
  savedForm,
  submitForm,
} from "./forms.tsx";
export { AdminOnlyError, adminOnly, GUARDS, signedIn, type WebAccess } from "./guards.ts";
export { Layout, NAV, type PageContext } from "./layout.tsx";
export { LOGO_URL, logoAsset } from "./logo.ts";
export { actor, isHtmx, page, readForm, redirect, toast, viewer, type WebContext } from "./request.tsx";
